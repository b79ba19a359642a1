/*
 * The modem object: port and lock, bytes in through the caller-ID parser,
 * lines to the AT engine, events to the call tracker, output buffering,
 * retries with back-off, caller-ID health, dialling, unplugging. Start-up
 * and probing are in probe.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modem_internal.h"
#include "serial.h"

#define READ_BUDGET	  (64 * 1024) /* per dispatch, so junk cannot starve the loop */
#define DEFAULT_RETRY_MIN 1000
#define DEFAULT_RETRY_MAX 60000
#define DEFAULT_HANGUP_MS 8000
#define DIAL_TIMEOUT_MS	  60000
#define DEFAULT_NO_CID	  3
#define DIAL_MAX	  32

const char *modem_state_str(enum modem_state s) {
	switch (s) {
	case MODEM_STATE_CLOSED:
		return "closed";
	case MODEM_STATE_OPENING:
		return "opening";
	case MODEM_STATE_INITIALISING:
		return "initialising";
	case MODEM_STATE_READY:
		return "ready";
	case MODEM_STATE_RETRYING:
		return "retrying";
	case MODEM_STATE_GONE:
		return "gone";
	}
	return "unknown";
}

const char *modem_dialect_str(enum modem_dialect d) {
	switch (d) {
	case MODEM_DIALECT_UNKNOWN:
		return "unknown";
	case MODEM_DIALECT_GENERIC:
		return "generic";
	case MODEM_DIALECT_CONEXANT:
		return "conexant";
	case MODEM_DIALECT_USR:
		return "usr";
	case MODEM_DIALECT_GSM:
		return "gsm";
	}
	return "unknown";
}

static void set_state(struct modem *m, enum modem_state s) {
	if (m->info.state == s) {
		return;
	}
	m->info.state = s;
	log_debug("%s: %s", m->path, modem_state_str(s));
	/* GONE is reported by modem_gone() as its very last action. */
	if (s != MODEM_STATE_GONE && m->listener.state != NULL) {
		m->listener.state(m, s, m->data);
	}
}

static void on_call(const struct call_info *call, enum call_change change, void *data) {
	struct modem *m = data;
	if (change == CALL_ENDED) {
		/* Caller ID comes before the second ring (or the first): a call
		 * that rang twice without any is one where it failed. */
		if (call->has_cid) {
			m->cid_seen = true;
			m->no_cid_calls = 0;
		} else if (call->rings >= 2 && m->cid_seen && m->opts.reinit_after_no_cid >= 0) {
			m->no_cid_calls++;
			int limit = m->opts.reinit_after_no_cid > 0 ? m->opts.reinit_after_no_cid
								    : DEFAULT_NO_CID;
			if (m->no_cid_calls >= limit) {
				log_warn("%s: %d calls in a row without caller ID although it "
					 "worked before; starting the modem again",
					 m->path, m->no_cid_calls);
				m->no_cid_calls = 0;
				m->reinit_pending = true;
			}
		}
	}
	if (m->listener.call != NULL) {
		m->listener.call(m, call, change, m->data);
	}
}

static int make_tracker(struct modem *m) {
	struct call_tracker_options o = {
		.line = m->line,
		.ring_timeout_ms = m->opts.ring_timeout_ms,
		.detects_pickup = m->info.detects_pickup,
		.detects_hangup = m->info.detects_hangup,
	};
	struct call_tracker *t = call_tracker_create(&o, on_call, m);
	if (t == NULL) {
		return -errno;
	}
	call_tracker_destroy(m->tracker);
	m->tracker = t;
	m->tracker_pickup = o.detects_pickup;
	m->tracker_hangup = o.detects_hangup;
	return 0;
}

/* Sends what is buffered; a device found gone is handled by the caller. */
static void flush_out(struct modem *m) {
	while (m->serial != NULL && m->out_len > 0) {
		ssize_t n = serial_write(m->serial, m->out, m->out_len);
		if (n == -EAGAIN || n == 0) {
			return;
		}
		if (n < 0) {
			m->gone_pending = true;
			return;
		}
		memmove(m->out, m->out + n, m->out_len - (size_t)n);
		m->out_len -= (size_t)n;
	}
}

static int at_write(const char *buf, size_t len, void *data) {
	struct modem *m = data;
	if (m->serial == NULL) {
		return -ENOTCONN;
	}
	if (m->out_len + len > sizeof(m->out)) {
		log_warn("%s: the modem does not take what is written; dropping a command", m->path);
		return -ENOBUFS;
	}
	memcpy(m->out + m->out_len, buf, len);
	m->out_len += len;
	flush_out(m);
	return 0;
}

static bool feeds_engine(const struct cid_event *ev) {
	switch (ev->type) {
	case CID_EV_LINE:
	case CID_EV_HANGUP: /* NO CARRIER ends a dial */
		return true;
	case CID_EV_OFFHOOK: /* LINE-IN-USE ends a dial; DLE P does not */
		return strncmp(ev->text, "<DLE>", 5) != 0;
	default:
		return false;
	}
}

static void on_cid_event(const struct cid_event *ev, void *data) {
	struct modem *m = data;
	if (feeds_engine(ev)) {
		bool taken = at_engine_feed_line(m->at, ev->text, m->now.mono);
		if (!taken && ev->type == CID_EV_LINE) {
			log_debug("%s: unsolicited: %.80s", m->path, ev->text);
		}
	}
	call_tracker_event(m->tracker, ev, m->now);
}

/* The device went away: end the call, close, unlock, tell the listener.
 * Nothing touches m after the listener returns. */
static void modem_gone(struct modem *m) {
	log_warn("Modem on %s is gone (unplugged?)", m->path);
	m->gone_pending = false;
	call_tracker_finish(m->tracker, m->now);
	m->closing = true;
	at_engine_cancel(m->at);
	m->closing = false;
	serial_close(m->serial);
	m->serial = NULL;
	uucp_lock_release(m->lock);
	m->lock = NULL;
	cid_parser_reset(m->parser);
	m->out_len = 0;
	m->reinit_pending = false;
	m->dialling = false;
	m->hangup_at = -1;
	m->info.state = MODEM_STATE_GONE;
	if (m->listener.state != NULL) {
		m->listener.state(m, MODEM_STATE_GONE, m->data);
	}
}

static void start_failed(struct modem *m, const char *why) {
	m->info.failures++;
	if (m->backoff_ms <= 0) {
		m->backoff_ms = m->opts.retry_min_ms > 0 ? m->opts.retry_min_ms : DEFAULT_RETRY_MIN;
	}
	int64_t max = m->opts.retry_max_ms > 0 ? m->opts.retry_max_ms : DEFAULT_RETRY_MAX;
	if (m->backoff_ms > max) {
		m->backoff_ms = max;
	}
	/* Said once; a modem that stays broken should not fill the journal. */
	if (m->info.failures == 1) {
		log_warn("Could not start the modem on %s: %s; trying again with back-off", m->path,
			 why);
	} else {
		log_debug("%s: start-up failed again (%s); next try in %lld ms", m->path, why,
			  (long long)m->backoff_ms);
	}
	m->retry_at = m->now.mono + m->backoff_ms;
	m->backoff_ms *= 2;
	m->closing = true;
	at_engine_cancel(m->at);
	m->closing = false;
	set_state(m, MODEM_STATE_RETRYING);
}

static void start_ready(struct modem *m) {
	struct modem_info *i = &m->info;
	if (i->failures > 0) {
		log_info("%s answers again after %d failed start-ups", m->path, i->failures);
	}
	i->failures = 0;
	m->backoff_ms = 0;
	m->no_cid_calls = 0;
	log_info("%s %s on %s, %s%s%s%s", i->manufacturer, i->model, m->path,
		 i->cid_command[0] != '\0' ? "caller ID via " : "no caller ID (rings only)",
		 i->cid_command, i->detects_pickup ? ", detects extension pick-up" : "",
		 i->gsm ? " (GSM)" : "");
	/* The first call must already see what probing found (pick-up, hang-up
	 * reports), not only the calls after the next event. */
	if (!call_tracker_busy(m->tracker) &&
	    (m->tracker_pickup != i->detects_pickup || m->tracker_hangup != i->detects_hangup)) {
		if (make_tracker(m) < 0) {
			log_error("%s: could not make a call tracker: %s", m->path, strerror(errno));
		}
	}
	set_state(m, MODEM_STATE_READY);
}

static const struct modem_probe_hooks probe_hooks = {
	.failed = start_failed,
	.ready = start_ready,
	.state = set_state,
};

/* Work left after events: a tracker with the probed flags, a re-init
 * waiting for the call to end, a device found gone while writing. Returns
 * false when the modem is gone (and must not be touched). */
static bool settle(struct modem *m) {
	if (m->gone_pending) {
		modem_gone(m);
		return false;
	}
	if (m->info.state == MODEM_STATE_READY && !call_tracker_busy(m->tracker) &&
	    (m->tracker_pickup != m->info.detects_pickup ||
	     m->tracker_hangup != m->info.detects_hangup)) {
		if (make_tracker(m) < 0) {
			log_error("%s: could not make a call tracker: %s", m->path, strerror(errno));
		}
	}
	if (m->reinit_pending && !call_tracker_busy(m->tracker) && !m->dialling &&
	    m->info.state == MODEM_STATE_READY) {
		m->reinit_pending = false;
		modem_probe_start(m, &probe_hooks);
	}
	if (m->gone_pending) {
		modem_gone(m);
		return false;
	}
	return true;
}

static char *dup_opt(const char *s, bool *failed) {
	if (s == NULL || s[0] == '\0') {
		return NULL;
	}
	char *d = strdup(s);
	if (d == NULL) {
		*failed = true;
	}
	return d;
}

static bool printable(const char *s, size_t max) {
	size_t n = strlen(s);
	if (n == 0 || n > max) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			return false;
		}
	}
	return true;
}

struct modem *modem_create(const struct modem_options *opts, const struct modem_listener *l,
			   void *data) {
	if (opts == NULL || opts->path == NULL || opts->path[0] == '\0') {
		log_error("A modem needs a device path");
		errno = EINVAL;
		return NULL;
	}
	if (opts->country != NULL && opts->country[0] != '\0' &&
	    (strlen(opts->country) != 2 || strspn(opts->country, "0123456789abcdefABCDEF") != 2)) {
		log_error("Country code '%s' for %s is not two hex digits (B4 UK, B5 US)",
			  opts->country, opts->path);
		errno = EINVAL;
		return NULL;
	}
	if (opts->init != NULL && opts->init[0] != '\0' &&
	    (!printable(opts->init, AT_CMD_MAX) || strncasecmp(opts->init, "AT", 2) != 0)) {
		log_error("Init string '%s' for %s must be one AT command line", opts->init,
			  opts->path);
		errno = EINVAL;
		return NULL;
	}
	struct modem *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return NULL;
	}
	m->opts = *opts;
	bool failed = false;
	m->path = dup_opt(opts->path, &failed);
	const char *slash = strrchr(opts->path, '/');
	m->line = dup_opt(opts->line != NULL ? opts->line
			  : slash != NULL    ? slash + 1
					     : opts->path,
			  &failed);
	m->init = dup_opt(opts->init, &failed);
	m->country = dup_opt(opts->country, &failed);
	m->lock_dir = dup_opt(opts->lock_dir, &failed);
	m->opts.path = m->path;
	m->opts.line = m->line;
	m->opts.init = m->init;
	m->opts.country = m->country;
	m->opts.lock_dir = m->lock_dir;
	if (l != NULL) {
		m->listener = *l;
	}
	m->data = data;
	m->hangup_at = -1;
	m->info.path = m->path;
	m->info.line = m->line != NULL ? m->line : "";
	m->parser = cid_parser_create();
	m->at = at_engine_create(at_write, m);
	if (failed || m->line == NULL || m->parser == NULL || m->at == NULL || make_tracker(m) < 0) {
		modem_destroy(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

static void close_port(struct modem *m) {
	m->closing = true;
	at_engine_cancel(m->at);
	m->closing = false;
	serial_close(m->serial);
	m->serial = NULL;
	uucp_lock_release(m->lock);
	m->lock = NULL;
	m->out_len = 0;
}

void modem_destroy(struct modem *m) {
	if (m == NULL) {
		return;
	}
	if (m->tracker != NULL) {
		call_tracker_finish(m->tracker, m->now);
	}
	close_port(m);
	call_tracker_destroy(m->tracker);
	at_engine_destroy(m->at);
	cid_parser_destroy(m->parser);
	free(m->path);
	free(m->line);
	free(m->init);
	free(m->country);
	free(m->lock_dir);
	free(m);
}

int modem_start(struct modem *m, struct call_time now) {
	if (m->serial != NULL) {
		return -EBUSY;
	}
	m->now = now;
	set_state(m, MODEM_STATE_OPENING);
	m->lock = uucp_lock_acquire(m->path, m->lock_dir);
	int rc = 0;
	if (m->lock == NULL) {
		rc = -errno;
	} else {
		struct serial_options so = {.baud = m->opts.baud, .flow = m->opts.flow};
		m->serial = serial_open(m->path, &so);
		if (m->serial == NULL) {
			rc = -errno;
			uucp_lock_release(m->lock);
			m->lock = NULL;
		}
	}
	if (rc < 0) {
		set_state(m, MODEM_STATE_CLOSED);
		return rc;
	}
	cid_parser_reset(m->parser);
	m->out_len = 0;
	m->backoff_ms = 0;
	m->info.failures = 0;
	m->gone_pending = false;
	modem_probe_start(m, &probe_hooks);
	settle(m);
	return 0;
}

int modem_reinit(struct modem *m, struct call_time now) {
	if (m->serial == NULL) {
		return -ENOTCONN;
	}
	m->now = now;
	m->closing = true;
	at_engine_cancel(m->at);
	m->closing = false;
	modem_probe_start(m, &probe_hooks);
	settle(m);
	return 0;
}

int modem_get_fd(const struct modem *m) {
	return m != NULL ? serial_get_fd(m->serial) : -1;
}

short modem_get_events(const struct modem *m) {
	if (m == NULL || m->serial == NULL) {
		return 0;
	}
	return POLLIN | (m->out_len > 0 ? POLLOUT : 0);
}

void modem_dispatch(struct modem *m, short revents, struct call_time now) {
	if (m->serial == NULL) {
		return;
	}
	m->now = now;
	if ((revents & POLLOUT) != 0) {
		flush_out(m);
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0) {
		char buf[4096];
		size_t total = 0;
		ssize_t n = -EAGAIN;
		while (total < READ_BUDGET && m->serial != NULL && !m->gone_pending) {
			n = serial_read(m->serial, buf, sizeof(buf));
			if (n <= 0) {
				break;
			}
			total += (size_t)n;
			cid_parser_feed(m->parser, buf, (size_t)n, on_cid_event, m);
			if ((size_t)n < sizeof(buf)) {
				/* drained for now: what comes meanwhile makes the
				 * descriptor readable again (the poll is level-
				 * triggered), so no read() to hear EAGAIN, one a
				 * line the modem sends */
				break;
			}
		}
		/* Hang-up with nothing to read: a tty that will never give
		 * data again; polling it would spin. */
		if (n == -ENODEV || (n < 0 && n != -EAGAIN) ||
		    (n == -EAGAIN && total == 0 && (revents & (POLLHUP | POLLERR | POLLNVAL)))) {
			m->gone_pending = true;
		}
	}
	settle(m);
}

int64_t modem_deadline(const struct modem *m) {
	int64_t d = -1;
	int64_t c[4] = {
		at_engine_deadline(m->at),
		call_tracker_deadline(m->tracker),
		m->info.state == MODEM_STATE_RETRYING ? m->retry_at : -1,
		m->hangup_at,
	};
	for (size_t i = 0; i < 4; i++) {
		if (c[i] >= 0 && (d < 0 || c[i] < d)) {
			d = c[i];
		}
	}
	return d;
}

static void hangup_done(const struct at_response *r, void *data) {
	struct modem *m = data;
	m->dialling = false;
	if (r->result != AT_RESULT_OK && r->result != AT_RESULT_CANCELLED) {
		log_warn("%s: hanging up after dialling: %s", m->path, at_result_str(r->result));
	}
}

static void send_hangup(struct modem *m) {
	m->hangup_at = -1;
	if (at_engine_send(m->at, "ATH", modem_command_timeout(m), hangup_done, m, m->now.mono) < 0) {
		m->dialling = false;
	}
}

void modem_tick(struct modem *m, struct call_time now) {
	m->now = now;
	at_engine_tick(m->at, now.mono);
	call_tracker_tick(m->tracker, now);
	if (m->serial != NULL && m->info.state == MODEM_STATE_RETRYING && now.mono >= m->retry_at) {
		modem_probe_start(m, &probe_hooks);
	}
	if (m->hangup_at >= 0 && now.mono >= m->hangup_at) {
		send_hangup(m);
	}
	settle(m);
}

static void dial_done(const struct at_response *r, void *data) {
	struct modem *m = data;
	if (r->result == AT_RESULT_CANCELLED) {
		m->dialling = false;
		return;
	}
	if (r->result != AT_RESULT_OK) {
		log_warn("%s: dialling failed: %s", m->path,
			 r->final_line[0] != '\0' ? r->final_line : at_result_str(r->result));
	} else {
		log_info("%s: dialled %s", m->path, r->command + 3);
	}
	if (m->info.gsm) {
		/* The call is on the dongle; ATH would end it. */
		m->dialling = false;
		return;
	}
	int64_t delay = m->opts.dial_hangup_ms > 0 ? m->opts.dial_hangup_ms : DEFAULT_HANGUP_MS;
	m->hangup_at = r->result == AT_RESULT_OK ? m->now.mono + delay : m->now.mono;
}

int modem_dial(struct modem *m, const char *number, struct call_time now) {
	size_t len = number != NULL ? strlen(number) : 0;
	if (len == 0 || len > DIAL_MAX || strspn(number, "0123456789+*#") != len) {
		log_error("Cannot dial '%s': only digits, +, * and # (at most %d)",
			  number != NULL ? number : "", DIAL_MAX);
		return -EINVAL;
	}
	if (m->info.state != MODEM_STATE_READY) {
		return -EAGAIN;
	}
	if (!m->info.can_dial) {
		return -ENOTSUP;
	}
	if (m->dialling || call_tracker_busy(m->tracker)) {
		return -EBUSY;
	}
	m->now = now;
	char cmd[DIAL_MAX + 8];
	snprintf(cmd, sizeof(cmd), "ATD%s;", number);
	int rc = at_engine_send(m->at, cmd, DIAL_TIMEOUT_MS, dial_done, m, now.mono);
	if (rc < 0) {
		return rc;
	}
	m->dialling = true;
	settle(m);
	return 0;
}

int modem_hangup(struct modem *m, struct call_time now) {
	if (m->serial == NULL || m->info.state != MODEM_STATE_READY) {
		return -EAGAIN;
	}
	m->now = now;
	m->dialling = true;
	send_hangup(m);
	settle(m);
	return 0;
}

const struct modem_info *modem_get_info(const struct modem *m) {
	return &m->info;
}
