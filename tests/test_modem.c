/*
 * The modem object against the simulator over a real pseudo-terminal: the
 * simulator runs in a forked child (as ctid --demo runs it), the test drives
 * the modem from its own poll loop. Rings come every 200 ms; every wait is
 * bounded so a failure never hangs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "modem.h"
#include "sim.h"
#include "tap.h"

#define INTERVAL 200

struct rec_call {
	enum call_change change;
	char number[CALL_NUMBER_MAX];
	char name[CALL_NAME_MAX];
	enum call_withheld withheld;
	enum call_state state;
	int rings;
	bool has_cid;
	int64_t at_ns; /* CLOCK_REALTIME when the host reported it */
};

struct harness {
	pid_t pid;
	int ctl, ev;
	char evbuf[8192];
	size_t evlen;
	char events[64][160];
	size_t n_events;
	struct modem *m;
	struct rec_call calls[128];
	size_t n_calls;
	enum modem_state states[256];
	int64_t state_at[256];
	size_t n_states;
};

static char tmpdir[256];
static char linkpath[300];

static int64_t mono_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct call_time now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (struct call_time){
		.mono = mono_ms(),
		.wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
	};
}

static void on_call(struct modem *m, const struct call_info *c, enum call_change change, void *data) {
	struct harness *h = data;
	if (h->n_calls >= sizeof(h->calls) / sizeof(h->calls[0])) {
		return;
	}
	struct rec_call *r = &h->calls[h->n_calls++];
	r->change = change;
	snprintf(r->number, sizeof(r->number), "%s", c->number);
	snprintf(r->name, sizeof(r->name), "%s", c->name);
	r->withheld = c->withheld;
	r->state = c->state;
	r->rings = c->rings;
	r->has_cid = c->has_cid;
	r->at_ns = real_ns();
	(void)m;
}

static void on_state(struct modem *m, enum modem_state s, void *data) {
	struct harness *h = data;
	if (h->n_states < sizeof(h->states) / sizeof(h->states[0])) {
		h->states[h->n_states] = s;
		h->state_at[h->n_states] = mono_ms();
		h->n_states++;
	}
	(void)m;
}

static const struct modem_listener listener = {.call = on_call, .state = on_state};

static void read_events(struct harness *h) {
	ssize_t n = read(h->ev, h->evbuf + h->evlen, sizeof(h->evbuf) - 1 - h->evlen);
	if (n <= 0) {
		return;
	}
	h->evlen += (size_t)n;
	char *nl;
	while ((nl = memchr(h->evbuf, '\n', h->evlen)) != NULL) {
		*nl = '\0';
		if (h->n_events < sizeof(h->events) / sizeof(h->events[0])) {
			size_t len = strnlen(h->evbuf, sizeof(h->events[0]) - 1);
			memcpy(h->events[h->n_events], h->evbuf, len);
			h->events[h->n_events++][len] = '\0';
		}
		size_t used = (size_t)(nl - h->evbuf) + 1;
		memmove(h->evbuf, nl + 1, h->evlen - used);
		h->evlen -= used;
	}
}

/* Runs the loop until pred holds or timeout_ms passed. */
static bool pump(struct harness *h, int64_t timeout_ms,
		 bool (*pred)(struct harness *, const void *), const void *arg) {
	int64_t end = mono_ms() + timeout_ms;
	for (;;) {
		if (pred != NULL && pred(h, arg)) {
			return true;
		}
		int64_t t = mono_ms();
		if (t >= end) {
			return false;
		}
		int64_t wait = end - t;
		int64_t dl = h->m != NULL ? modem_deadline(h->m) : -1;
		if (dl >= 0) {
			wait = dl - t < 0 ? 0 : dl - t < wait ? dl - t : wait;
		}
		struct pollfd fds[2] = {{.fd = h->ev, .events = POLLIN}, {.fd = -1}};
		if (h->m != NULL && modem_get_fd(h->m) >= 0) {
			fds[1].fd = modem_get_fd(h->m);
			fds[1].events = modem_get_events(h->m);
		}
		poll(fds, 2, (int)wait);
		if (fds[0].revents != 0) {
			read_events(h);
		}
		if (h->m != NULL && fds[1].fd >= 0 && fds[1].revents != 0) {
			modem_dispatch(h->m, fds[1].revents, now());
		}
		if (h->m != NULL) {
			dl = modem_deadline(h->m);
			if (dl >= 0 && mono_ms() >= dl) {
				modem_tick(h->m, now());
			}
		}
	}
}

static bool pred_event(struct harness *h, const void *arg) {
	const char *prefix = arg;
	for (size_t i = 0; i < h->n_events; i++) {
		if (strncmp(h->events[i], prefix, strlen(prefix)) == 0) {
			/* Consume it and everything before it. */
			memmove(h->events, h->events + i + 1,
				(h->n_events - i - 1) * sizeof(h->events[0]));
			h->n_events -= i + 1;
			return true;
		}
	}
	return false;
}

static bool wait_event(struct harness *h, const char *prefix, int64_t timeout_ms) {
	return pump(h, timeout_ms, pred_event, prefix);
}

static bool pred_state(struct harness *h, const void *arg) {
	return h->m != NULL && modem_get_info(h->m)->state == *(const enum modem_state *)arg;
}

static bool wait_state(struct harness *h, enum modem_state s, int64_t timeout_ms) {
	return pump(h, timeout_ms, pred_state, &s);
}

static bool pred_calls(struct harness *h, const void *arg) {
	size_t want = *(const size_t *)arg;
	size_t ended = 0;
	for (size_t i = 0; i < h->n_calls; i++) {
		ended += h->calls[i].change == CALL_ENDED;
	}
	return ended >= want;
}

/* Waits until n calls (in all) have ended. */
static bool wait_ended(struct harness *h, size_t n, int64_t timeout_ms) {
	return pump(h, timeout_ms, pred_calls, &n);
}

static void sim_send(struct harness *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sim_send(struct harness *h, const char *fmt, ...) {
	char buf[256];
	va_list args;
	va_start(args, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, args);
	va_end(args);
	if (n < 0 || n > (int)sizeof(buf) - 2) {
		n = (int)sizeof(buf) - 2;
	}
	buf[n++] = '\n';
	if (write(h->ctl, buf, (size_t)n) != n) {
		tap_diag("could not write to the simulator");
	}
}

static bool spawn_opts(struct harness *h, const struct sim_options *opts) {
	memset(h, 0, sizeof(*h));
	int ctl[2], ev[2];
	if (pipe(ctl) < 0 || pipe(ev) < 0) {
		return false;
	}
	h->pid = fork();
	if (h->pid == 0) {
		close(ctl[1]);
		close(ev[0]);
		struct sim_options o = *opts;
		o.events_fd = ev[1];
		struct sim *s = sim_create(&o);
		int rc = s != NULL ? sim_run(s, ctl[0], NULL) : -ENOMEM;
		sim_destroy(s);
		_exit(rc == 0 ? 0 : 1);
	}
	close(ctl[0]);
	close(ev[1]);
	h->ctl = ctl[1];
	h->ev = ev[0];
	return wait_event(h, "ready ", 5000);
}

static bool spawn(struct harness *h, enum sim_dialect d, bool huawei) {
	struct sim_options o = {
		.dialect = d,
		.huawei = huawei,
		.link = linkpath,
		.ring_interval_ms = INTERVAL,
	};
	return spawn_opts(h, &o);
}

static void finish(struct harness *h) {
	modem_destroy(h->m);
	h->m = NULL;
	sim_send(h, "quit");
	int64_t end = mono_ms() + 3000;
	int status;
	while (waitpid(h->pid, &status, WNOHANG) == 0) {
		if (mono_ms() > end) {
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &status, 0);
			break;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	close(h->ctl);
	close(h->ev);
}

static struct modem_options options(void) {
	return (struct modem_options){
		.path = linkpath,
		.line = "test",
		.lock_dir = tmpdir,
		.ring_timeout_ms = 3 * INTERVAL + 100,
		.reinit_after_no_cid = 2,
		.command_timeout_ms = 400,
		.retry_min_ms = 100,
		.retry_max_ms = 400,
		.dial_hangup_ms = 100,
	};
}

static bool start(struct harness *h, const struct modem_options *o) {
	h->m = modem_create(o, &listener, h);
	if (h->m == NULL) {
		return false;
	}
	if (modem_start(h->m, now()) < 0) {
		return false;
	}
	return wait_state(h, MODEM_STATE_READY, 5000);
}

/* The last record of a change, or NULL. */
static const struct rec_call *last(const struct harness *h, enum call_change c) {
	for (size_t i = h->n_calls; i > 0; i--) {
		if (h->calls[i - 1].change == c) {
			return &h->calls[i - 1];
		}
	}
	return NULL;
}

/* The first record of a change at or after index from. */
static const struct rec_call *first_from(const struct harness *h, size_t from, enum call_change c) {
	for (size_t i = from; i < h->n_calls; i++) {
		if (h->calls[i].change == c) {
			return &h->calls[i];
		}
	}
	return NULL;
}

static bool pred_started(struct harness *h, const void *arg) {
	return first_from(h, *(const size_t *)arg, CALL_STARTED) != NULL;
}

static bool pred_ended_number(struct harness *h, const void *arg) {
	for (size_t i = 0; i < h->n_calls; i++) {
		if (h->calls[i].change == CALL_ENDED && strcmp(h->calls[i].number, arg) == 0) {
			return true;
		}
	}
	return false;
}

static bool lock_present(void) {
	DIR *d = opendir(tmpdir);
	bool found = false;
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		found = found || strncmp(e->d_name, "LCK..", 5) == 0;
	}
	if (d != NULL) {
		closedir(d);
	}
	return found;
}

static size_t ended_count(const struct harness *h) {
	size_t n = 0;
	for (size_t i = 0; i < h->n_calls; i++) {
		n += h->calls[i].change == CALL_ENDED;
	}
	return n;
}

static void test_conexant(void) {
	struct harness h;
	ok(spawn(&h, SIM_DIALECT_CONEXANT, false), "conexant: simulator ready");
	struct modem_options o = options();
	ok(start(&h, &o), "conexant: modem ready");
	const struct modem_info *i = modem_get_info(h.m);
	is_str(modem_dialect_str(i->dialect), "conexant", "conexant: dialect");
	is_str(i->manufacturer, "Conexant", "conexant: manufacturer");
	is_str(i->model, "CX93001", "conexant: model from ATI3");
	is_str(i->cid_command, "AT+VCID=1", "conexant: caller ID via AT+VCID=1");
	ok(i->detects_pickup, "conexant: -STE answered, pick-up detection on");
	ok(!i->gsm && i->can_dial, "conexant: landline that can dial");
	ok(lock_present(), "conexant: UUCP lock taken");

	/* The port is locked: a second modem on it is refused. */
	struct modem *other = modem_create(&o, NULL, NULL);
	is_int(modem_start(other, now()), -EBUSY, "conexant: second modem on the port is busy");
	modem_destroy(other);

	size_t from = h.n_calls;
	sim_send(&h, "call +441632960961 \"Ivan Petrov\" rings=3 name_delay=0.15");
	ok(wait_ended(&h, 1, 5000), "call 1 ended");
	const struct rec_call *st = first_from(&h, from, CALL_STARTED);
	ok(st != NULL, "call 1 started");
	if (st != NULL) {
		is_str(st->number, "+441632960961", "started with the number");
		is_str(st->name, "", "before the name arrived");
	}
	bool named = false;
	for (size_t k = from; k < h.n_calls; k++) {
		named = named || (h.calls[k].change == CALL_UPDATED &&
				  strcmp(h.calls[k].name, "Ivan Petrov") == 0);
	}
	ok(named, "updated with the name");
	const struct rec_call *en = last(&h, CALL_ENDED);
	ok(en != NULL && en->state == CALL_STATE_MISSED, "rang out: missed (pick-ups detected)");
	ok(en != NULL && en->rings == 3, "three rings counted");
	ok(wait_event(&h, "event call done", 2000), "simulator finished call 1");

	sim_send(&h, "call 5551234 answer=2 rings=4");
	ok(wait_ended(&h, 2, 5000), "call 2 ended");
	en = last(&h, CALL_ENDED);
	ok(en != NULL && en->state == CALL_STATE_ANSWERED, "extension pick-up: answered");
	ok(en != NULL && strcmp(en->number, "5551234") == 0, "answered call's number");
	wait_event(&h, "event call done", 2000);

	sim_send(&h, "call P rings=2");
	ok(wait_ended(&h, 3, 5000), "withheld call ended");
	en = last(&h, CALL_ENDED);
	ok(en != NULL && en->withheld == CALL_WITHHELD_PRIVATE && en->number[0] == '\0',
	   "withheld: private, no number");
	wait_event(&h, "event call done", 2000);

	/* Dialling: bad numbers never reach the modem. */
	is_int(modem_dial(h.m, "555;ATZ", now()), -EINVAL, "dial: junk refused");
	is_int(modem_dial(h.m, "", now()), -EINVAL, "dial: empty refused");
	is_int(modem_dial(h.m, "5551234", now()), 0, "dial accepted");
	is_int(modem_dial(h.m, "5551234", now()), -EBUSY, "second dial while dialling is busy");
	ok(wait_event(&h, "event dial 5551234;", 2000), "simulator saw ATD5551234;");
	pump(&h, 600, NULL, NULL);
	is_int(modem_dial(h.m, "*31#5551234", now()), 0, "dial again after ATH");
	ok(wait_event(&h, "event dial *31#5551234;", 2000), "star codes reach the modem");
	pump(&h, 400, NULL, NULL);

	/* The modem resets itself and forgets +VCID: calls ring without caller
	 * ID; after two of them the modem is started again. */
	sim_send(&h, "reset");
	ok(wait_event(&h, "event reset", 2000), "simulator reset");
	size_t states_before = h.n_states;
	sim_send(&h, "call 5550001 rings=2");
	sim_send(&h, "sleep 1");
	sim_send(&h, "call 5550001 rings=2");
	ok(wait_ended(&h, 5, 6000), "two calls without caller ID ended");
	en = last(&h, CALL_ENDED);
	ok(en != NULL && !en->has_cid, "no caller ID after the modem forgot it");
	bool reinit = false;
	pump(&h, 3000, pred_state, &(enum modem_state){MODEM_STATE_INITIALISING});
	reinit = h.n_states > states_before;
	ok(reinit, "modem started again after calls without caller ID");
	ok(wait_state(&h, MODEM_STATE_READY, 5000), "ready again");
	wait_event(&h, "event call done", 3000);
	wait_event(&h, "event call done", 3000);
	sim_send(&h, "call 5550002 rings=2");
	ok(wait_ended(&h, 6, 5000), "call after re-init ended");
	en = last(&h, CALL_ENDED);
	ok(en != NULL && strcmp(en->number, "5550002") == 0, "caller ID works again");
	finish(&h);
}

static void test_usr_and_init(void) {
	struct harness h;
	ok(spawn(&h, SIM_DIALECT_USR, false), "usr: simulator ready");
	struct modem_options o = options();
	ok(start(&h, &o), "usr: modem ready");
	const struct modem_info *i = modem_get_info(h.m);
	is_str(modem_dialect_str(i->dialect), "usr", "usr: dialect");
	is_str(i->manufacturer, "U.S. Robotics", "usr: manufacturer");
	is_str(i->cid_command, "AT+VCID=1", "usr: a real 5637 takes AT+VCID=1");
	ok(!i->detects_pickup, "usr: no pick-up detection");
	sim_send(&h, "call 8055554567 \"Test1 - Permitted\" rings=2");
	ok(wait_ended(&h, 1, 5000), "usr: call ended");
	const struct rec_call *en = last(&h, CALL_ENDED);
	ok(en != NULL && strcmp(en->number, "8055554567") == 0, "usr: number");
	ok(en != NULL && strcmp(en->name, "Test1 - Permitted") == 0, "usr: name");
	ok(en != NULL && en->state == CALL_STATE_UNKNOWN, "usr: cannot tell missed from answered");
	wait_event(&h, "event call done", 2000);
	modem_destroy(h.m);
	h.m = NULL;

	/* A configured init string replaces probing: raw MDMF caller ID. */
	o.init = "AT#CID=2";
	ok(start(&h, &o), "usr: modem with init string ready");
	is_str(modem_get_info(h.m)->cid_command, "AT#CID=2", "usr: init string used");
	size_t before = ended_count(&h);
	sim_send(&h, "call 5551234 \"Bob\" rings=2");
	ok(wait_ended(&h, before + 1, 5000), "usr: raw caller ID call ended");
	en = last(&h, CALL_ENDED);
	ok(en != NULL && strcmp(en->number, "5551234") == 0, "usr: number from MDMF hex");
	ok(en != NULL && strcmp(en->name, "Bob") == 0, "usr: name from MDMF hex");
	wait_event(&h, "event call done", 2000);
	modem_destroy(h.m);
	h.m = NULL;

	/* An init string the modem refuses is a start-up failure, retried. */
	o.init = "AT%CCID=1";
	h.m = modem_create(&o, &listener, &h);
	is_int(modem_start(h.m, now()), 0, "usr: started with a bad init string");
	ok(wait_state(&h, MODEM_STATE_RETRYING, 3000), "usr: refused init string: retrying");
	finish(&h);
}

static void test_rockwell(void) {
	struct harness h;
	ok(spawn(&h, SIM_DIALECT_ROCKWELL, false), "rockwell: simulator ready");
	struct modem_options o = options();
	ok(start(&h, &o), "rockwell: modem ready");
	const struct modem_info *i = modem_get_info(h.m);
	is_str(modem_dialect_str(i->dialect), "generic", "rockwell: generic dialect");
	is_str(i->cid_command, "AT#CID=1", "rockwell: AT+VCID=1 refused, AT#CID=1 taken");
	sim_send(&h, "call 0102030405 \"SMH,FRITZ\" rings=2");
	ok(wait_ended(&h, 1, 5000), "rockwell: call ended");
	const struct rec_call *en = last(&h, CALL_ENDED);
	ok(en != NULL && strcmp(en->number, "0102030405") == 0, "rockwell: number (KEY=VAL)");
	ok(en != NULL && strcmp(en->name, "SMH,FRITZ") == 0, "rockwell: name with a comma");
	finish(&h);
}

static void test_gsm(bool huawei) {
	struct harness h;
	const char *v = huawei ? "huawei" : "gsm";
	ok(spawn(&h, SIM_DIALECT_GSM, huawei), "%s: simulator ready", v);
	struct modem_options o = options();
	ok(start(&h, &o), "%s: modem ready", v);
	const struct modem_info *i = modem_get_info(h.m);
	is_str(modem_dialect_str(i->dialect), "gsm", "%s: dialect", v);
	ok(i->gsm && i->detects_hangup, "%s: GSM reports hang-ups", v);
	is_str(i->cid_command, "AT+CLIP=1", "%s: caller ID via AT+CLIP=1", v);
	is_str(i->model, huawei ? "E173" : "SIMCOM_SIM800", "%s: model from +GMM", v);
	sim_send(&h, "call +441632960961 \"Ivan Petrov\" rings=2");
	ok(wait_ended(&h, 1, 5000), "%s: call ended", v);
	const struct rec_call *st = first_from(&h, 0, CALL_STARTED);
	ok(st != NULL && strcmp(st->number, "+441632960961") == 0, "%s: started with +CLIP", v);
	const struct rec_call *en = last(&h, CALL_ENDED);
	ok(en != NULL && en->state == CALL_STATE_MISSED, "%s: caller hung up: missed", v);
	ok(en != NULL && en->rings == 2, "%s: +CRING counted", v);
	wait_event(&h, "event call done", 2000);
	sim_send(&h, "call P rings=1");
	ok(wait_ended(&h, 2, 5000), "%s: withheld call ended", v);
	en = last(&h, CALL_ENDED);
	ok(en != NULL && en->withheld == CALL_WITHHELD_PRIVATE, "%s: withheld", v);
	wait_event(&h, "event call done", 2000);
	is_int(modem_dial(h.m, "+441632960961", now()), 0, "%s: dial", v);
	ok(wait_event(&h, "event dial +441632960961;", 2000), "%s: ATD<number>; sent", v);
	finish(&h);
}

static void test_uk_and_nocid(void) {
	struct harness h;
	ok(spawn(&h, SIM_DIALECT_CONEXANT, false), "uk: simulator ready");
	struct modem_options o = options();
	ok(start(&h, &o), "uk: modem ready");
	sim_send(&h, "call 07700900123 rings=2 uk");
	ok(wait_ended(&h, 1, 5000), "uk: call ended");
	const struct rec_call *st = first_from(&h, 0, CALL_STARTED);
	ok(st != NULL && strcmp(st->number, "07700900123") == 0 && st->rings == 0,
	   "uk: caller ID before the first ring");
	wait_event(&h, "event call done", 2000);

	size_t from = h.n_calls;
	sim_send(&h, "call - nocid rings=3");
	ok(wait_ended(&h, 2, 5000), "nocid: call ended");
	st = first_from(&h, from, CALL_STARTED);
	ok(st != NULL && !st->has_cid && st->number[0] == '\0', "nocid: started without caller ID");
	const struct rec_call *en = last(&h, CALL_ENDED);
	ok(en != NULL && en->rings == 3, "nocid: all rings counted");
	finish(&h);
}

static void test_unplug(void) {
	struct harness h;
	ok(spawn(&h, SIM_DIALECT_CONEXANT, false), "unplug: simulator ready");
	struct modem_options o = options();
	ok(start(&h, &o), "unplug: modem ready");
	size_t before_calls = h.n_calls;
	sim_send(&h, "call 5551234 rings=20 nowait");
	ok(pump(&h, 3000, pred_started, &before_calls), "unplug: call ringing");
	ok(first_from(&h, before_calls, CALL_STARTED) != NULL, "unplug: call started");
	sim_send(&h, "unplug");
	ok(wait_state(&h, MODEM_STATE_GONE, 3000), "unplug: state gone");
	const struct rec_call *en = last(&h, CALL_ENDED);
	ok(en != NULL && strcmp(en->number, "5551234") == 0, "unplug: call in progress ended");
	is_int(modem_get_fd(h.m), -1, "unplug: fd closed");
	is_int(modem_get_events(h.m), 0, "unplug: nothing to poll");
	ok(!lock_present(), "unplug: lock released");
	ok(access(linkpath, F_OK) < 0, "unplug: link removed");

	sim_send(&h, "replug");
	ok(wait_event(&h, "event replug ", 3000), "replug: new pty");
	is_int(modem_start(h.m, now()), 0, "replug: started again");
	ok(wait_state(&h, MODEM_STATE_READY, 5000), "replug: ready");
	wait_event(&h, "event call done", 6000);
	pump(&h, 1000, NULL, NULL); /* the old call's last ring times out */
	sim_send(&h, "call 5559876 rings=2");
	ok(pump(&h, 5000, pred_ended_number, "5559876"), "replug: caller ID works");
	finish(&h);
}

static size_t count_states(const struct harness *h, size_t from, enum modem_state s) {
	size_t n = 0;
	for (size_t i = from; i < h->n_states; i++) {
		n += h->states[i] == s;
	}
	return n;
}

static void test_failures(void) {
	struct harness h;
	ok(spawn(&h, SIM_DIALECT_CONEXANT, false), "errors: simulator ready");
	sim_send(&h, "errors on");
	ok(wait_event(&h, "event errors on", 2000), "errors: ERROR to everything");
	struct modem_options o = options();
	h.m = modem_create(&o, &listener, &h);
	is_int(modem_start(h.m, now()), 0, "errors: started");
	pump(&h, 2000, NULL, NULL);
	size_t retries = count_states(&h, 0, MODEM_STATE_RETRYING);
	ok(retries >= 3, "errors: retried several times (%zu)", retries);
	/* Back-off grows: gaps between start-ups increase, capped at 400 ms. */
	int64_t starts[16];
	size_t ns = 0;
	for (size_t k = 0; k < h.n_states && ns < 16; k++) {
		if (h.states[k] == MODEM_STATE_INITIALISING) {
			starts[ns++] = h.state_at[k];
		}
	}
	ok(ns >= 3 && starts[2] - starts[1] > starts[1] - starts[0], "errors: back-off grows");
	ok(modem_get_info(h.m)->failures >= 3, "errors: failures counted");
	sim_send(&h, "errors off");
	ok(wait_state(&h, MODEM_STATE_READY, 3000), "errors: ready once the modem answers");
	is_int(modem_get_info(h.m)->failures, 0, "errors: failures reset");

	size_t from = h.n_states;
	sim_send(&h, "mute");
	ok(wait_event(&h, "event mute", 2000), "mute: modem silent");
	is_int(modem_reinit(h.m, now()), 0, "mute: re-init asked");
	ok(wait_state(&h, MODEM_STATE_RETRYING, 3000), "mute: no answer, retrying");
	pump(&h, 1200, NULL, NULL);
	ok(count_states(&h, from, MODEM_STATE_RETRYING) >= 2, "mute: retried again");
	sim_send(&h, "unmute");
	ok(wait_state(&h, MODEM_STATE_READY, 3000), "mute: ready after unmute");
	finish(&h);
}

static void test_noise(void) {
	struct harness h;
	ok(spawn(&h, SIM_DIALECT_CONEXANT, false), "noise: simulator ready");
	struct modem_options o = options();
	o.reinit_after_no_cid = -1;
	ok(start(&h, &o), "noise: modem ready");
	sim_send(&h, "noise 3000000");
	ok(wait_event(&h, "event noise", 20000), "noise: 3 MB of junk lines read");
	sim_send(&h, "garbage 300000");
	ok(wait_event(&h, "event garbage", 10000), "noise: 300 kB of random bytes read");
	pump(&h, 1000, NULL, NULL); /* let spurious rings from junk time out */
	size_t n = ended_count(&h);
	sim_send(&h, "call 5554321 rings=2");
	ok(wait_ended(&h, n + 1, 5000), "noise: a call after the junk ended");
	bool found = false;
	for (size_t i = 0; i < h.n_calls; i++) {
		found = found || strcmp(h.calls[i].number, "5554321") == 0;
	}
	ok(found, "noise: caller ID still decoded");
	is_str(modem_state_str(modem_get_info(h.m)->state), "ready", "noise: still ready");
	finish(&h);
}

/* The first event starting with prefix, left in place; NULL if none yet. */
static const char *find_event(const struct harness *h, const char *prefix) {
	for (size_t i = 0; i < h->n_events; i++) {
		if (strncmp(h->events[i], prefix, strlen(prefix)) == 0) {
			return h->events[i];
		}
	}
	return NULL;
}

static bool pred_has_event(struct harness *h, const void *arg) {
	return find_event(h, arg) != NULL;
}

/* --timestamps, which the benchmarks measure latency from: the stamp is
 * taken before the number can reach the host, and close to it. */
static void test_timestamps(enum sim_dialect d, const char *name) {
	struct harness h;
	struct sim_options so = {
		.dialect = d,
		.link = linkpath,
		.ring_interval_ms = INTERVAL,
		.timestamps = true,
	};
	ok(spawn_opts(&h, &so), "%s timestamps: simulator ready", name);
	struct modem_options o = options();
	ok(start(&h, &o), "%s timestamps: modem ready", name);
	is_int((int)h.n_events, 0, "%s timestamps: no nmbr event before a call", name);
	size_t from = h.n_calls;
	int64_t sent = real_ns();
	sim_send(&h, "call 5551234 rings=1");
	ok(pump(&h, 3000, pred_started, &from), "%s timestamps: call started", name);
	ok(pump(&h, 1000, pred_has_event, "event nmbr "), "%s timestamps: nmbr event", name);
	const struct rec_call *st = first_from(&h, from, CALL_STARTED);
	const char *ev = find_event(&h, "event nmbr ");
	long long ns = ev != NULL ? strtoll(ev + strlen("event nmbr "), NULL, 10) : 0;
	ok(ns >= sent, "%s timestamps: stamped after the call was asked for", name);
	ok(st != NULL && ns <= st->at_ns, "%s timestamps: stamped before the host had the number",
	   name);
	ok(st != NULL && st->at_ns - ns < 500000000LL,
	   "%s timestamps: stamped within 0.5 s of the host seeing it", name);
	wait_ended(&h, 1, 3000);
	finish(&h);
}

/* As ctid --demo runs it: the pty opened before fork, a script file, the
 * parent's copy destroyed so the host sees the scripted unplug. */
static void test_demo_fork(void) {
	char script[400];
	snprintf(script, sizeof(script), "%s/demo.script", tmpdir);
	FILE *f = fopen(script, "w");
	if (f != NULL) {
		fputs("# demo\nsleep 0.3\ncall 5551234 \"Demo Caller\" rings=2\nsleep 1\nunplug\n"
		      "sleep 30\n",
		      f);
		fclose(f);
	}
	struct sim_options so = {.link = linkpath, .ring_interval_ms = INTERVAL, .events_fd = -1};
	struct sim *s = sim_create(&so);
	char path[128] = "";
	is_int(sim_open_pty(s, path, sizeof(path)), 0, "demo: pty opened before fork");
	ok(strncmp(path, "/dev/pts/", 9) == 0, "demo: path %s", path);
	struct harness h;
	memset(&h, 0, sizeof(h));
	h.ev = -1;
	h.pid = fork();
	if (h.pid == 0) {
		_exit(sim_run(s, -1, script) < 0);
	}
	sim_destroy(s);
	ok(access(linkpath, F_OK) == 0, "demo: parent's destroy leaves the child's link");
	struct modem_options o = options();
	ok(start(&h, &o), "demo: modem ready");
	ok(pump(&h, 5000, pred_ended_number, "5551234"), "demo: scripted call seen");
	const struct rec_call *en = last(&h, CALL_ENDED);
	ok(en != NULL && strcmp(en->name, "Demo Caller") == 0, "demo: with its name");
	ok(wait_state(&h, MODEM_STATE_GONE, 5000), "demo: scripted unplug seen by the host");
	modem_destroy(h.m);
	kill(h.pid, SIGKILL);
	waitpid(h.pid, NULL, 0);
	unlink(script);
}

int main(void) {
	log_init("test_modem", getenv("CTID_TEST_DEBUG") != NULL ? LOG_DEBUG : LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "%s/ctid-modem-XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(linkpath, sizeof(linkpath), "%s/ttySIM", tmpdir);
	test_conexant();
	test_usr_and_init();
	test_rockwell();
	test_gsm(false);
	test_gsm(true);
	test_uk_and_nocid();
	test_unplug();
	test_failures();
	test_noise();
	test_timestamps(SIM_DIALECT_CONEXANT, "conexant");
	test_timestamps(SIM_DIALECT_GSM, "gsm");
	test_demo_fork();
	unlink(linkpath);
	rmdir(tmpdir);
	return tap_done();
}
