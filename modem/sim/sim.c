/*
 * The modem simulator: a pseudo-terminal, a poll loop and the script. AT
 * commands are answered in sim_at.c, calls are played by sim_call.c, and
 * what the modem says goes out through sim_out.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sim_internal.h"

#define NOISE_CHUNK  16384
#define SCRIPT_MAX   (1024 * 1024)
#define CONTROL_MAX  4096
#define MAX_COMMANDS 4096 /* queued control lines */

enum action { ACT_NONE, ACT_SLEEP, ACT_CALL, ACT_NOISE };

struct sim_run_state {
	char **script;
	size_t n_script, script_pos;
	char *commands[MAX_COMMANDS]; /* from control_fd, FIFO */
	size_t cmd_head, cmd_count;
	char control[CONTROL_MAX];
	size_t control_len;
	int control_fd;
	size_t lineno;
	enum action act;
	int64_t act_until;
	struct sim_call call;
	bool call_active;
	bool quit;
	int64_t ring_interval;
};

static int64_t now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned next_rand(struct sim *s) {
	/* xorshift32: reproducible junk for a given seed. */
	unsigned x = s->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	s->rng = x;
	return x;
}

int sim_dialect_from_str(const char *str, enum sim_dialect *dialect) {
	static const char *const names[] = {"conexant", "usr", "rockwell", "gsm"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (str != NULL && strcasecmp(str, names[i]) == 0) {
			*dialect = (enum sim_dialect)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sim_dialect_str(enum sim_dialect dialect) {
	switch (dialect) {
	case SIM_DIALECT_CONEXANT:
		return "conexant";
	case SIM_DIALECT_USR:
		return "usr";
	case SIM_DIALECT_ROCKWELL:
		return "rockwell";
	case SIM_DIALECT_GSM:
		return "gsm";
	}
	return "conexant";
}

struct sim *sim_create(const struct sim_options *opts) {
	struct sim *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return NULL;
	}
	if (opts != NULL) {
		s->opts = *opts;
	} else {
		s->opts.events_fd = -1;
	}
	if (s->opts.ring_interval_ms <= 0) {
		s->opts.ring_interval_ms = 6000;
	}
	if (s->opts.link != NULL) {
		s->link = strdup(s->opts.link);
		if (s->link == NULL) {
			free(s);
			return NULL;
		}
	}
	s->opts.link = NULL;
	s->master = s->slave = -1;
	s->rng = s->opts.seed != 0 ? s->opts.seed : 0x2545f491u;
	sim_at_reset(s, true);
	return s;
}

static void remove_link(struct sim *s) {
	struct stat st;
	/* Only ever remove a symlink: never a file someone put there. A parent
	 * that forked the simulator off leaves the link to the child. */
	if (s->link != NULL && s->owner == getpid() && lstat(s->link, &st) == 0 &&
	    S_ISLNK(st.st_mode)) {
		unlink(s->link);
	}
}

static void close_pty(struct sim *s) {
	if (s->master >= 0) {
		close(s->master);
	}
	if (s->slave >= 0) {
		close(s->slave);
	}
	s->master = s->slave = -1;
	s->plugged = false;
	s->out_len = 0;
	s->stamp_at = 0;
	s->noise_left = 0;
	s->in_len = 0;
	remove_link(s);
}

void sim_destroy(struct sim *s) {
	if (s == NULL) {
		return;
	}
	close_pty(s);
	free(s->out);
	free(s->link);
	free(s);
}

void sim_stop(struct sim *s) {
	s->stop = 1;
}

int sim_open_pty(struct sim *s, char *path, size_t size) {
	if (s->plugged) {
		snprintf(path, size, "%s", s->pty_path);
		return 0;
	}
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0) {
		return -errno;
	}
	char name[128];
	if (grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, name, sizeof(name)) != 0) {
		int err = errno;
		close(master);
		return -err;
	}
	/* Keep a slave open ourselves: the master then never reports a
	 * hang-up while the host has not opened (or has closed) its side. */
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		int err = errno;
		close(master);
		return -err;
	}
	/* Raw: no echo by the line discipline, no CR/LF translation. */
	struct termios tio;
	if (tcgetattr(slave, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(slave, TCSANOW, &tio);
	}
	int flags = fcntl(master, F_GETFL);
	fcntl(master, F_SETFL, flags | O_NONBLOCK);
	s->master = master;
	s->slave = slave;
	snprintf(s->pty_path, sizeof(s->pty_path), "%s", name);
	s->plugged = true;
	if (s->link != NULL) {
		struct stat st;
		if (lstat(s->link, &st) == 0 && S_ISLNK(st.st_mode)) {
			unlink(s->link);
		}
		if (symlink(name, s->link) < 0) {
			int err = errno;
			log_error("Could not link %s to %s: %s", s->link, name, strerror(err));
			close_pty(s);
			return -err;
		}
	}
	snprintf(path, size, "%s", name);
	return 0;
}

static void fill_noise(struct sim *s) {
	while (s->noise_left > 0 && s->out_len < NOISE_CHUNK * 4) {
		char chunk[NOISE_CHUNK];
		size_t n = s->noise_left < sizeof(chunk) ? (size_t)s->noise_left : sizeof(chunk);
		for (size_t i = 0; i < n; i++) {
			unsigned r = next_rand(s);
			if (!s->noise_printable) {
				chunk[i] = (char)(r & 0xff);
			} else if (r % 61 == 0) {
				chunk[i] = i % 2 ? '\n' : '\r';
			} else {
				chunk[i] = (char)(0x20 + (r >> 8) % 95);
			}
		}
		s->noise_left -= n;
		sim_out(s, chunk, n);
	}
}

/* Splits a line into words; "quoted words" keep their blanks. */
static size_t split_words(char *line, char **words, size_t max) {
	size_t n = 0;
	char *p = line;
	while (*p != '\0' && n < max) {
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		if (*p == '\0' || *p == '#') {
			break;
		}
		if (*p == '"') {
			words[n++] = ++p;
			while (*p != '\0' && *p != '"') {
				p++;
			}
		} else {
			words[n++] = p;
			while (*p != '\0' && *p != ' ' && *p != '\t') {
				p++;
			}
		}
		if (*p != '\0') {
			*p++ = '\0';
		}
	}
	return n;
}

static int64_t parse_seconds(const char *text, bool *okay) {
	char *end;
	double v = strtod(text, &end);
	*okay = end != text && *end == '\0' && v >= 0 && v < 86400;
	return (int64_t)(v * 1000);
}

/* Starts one command; immediate ones report their event at once. */
static void exec_command(struct sim *s, struct sim_run_state *r, char *line, int64_t now) {
	char *w[16];
	size_t n = split_words(line, w, 16);
	if (n == 0) {
		return;
	}
	const char *err = NULL;
	bool okay;
	if (strcmp(w[0], "call") == 0) {
		if (r->call_active) {
			err = "a call is still ringing";
		} else if (sim_call_parse(w, n, &r->call, &err) == 0) {
			r->call.uk = r->call.uk || s->opts.uk;
			r->call.start = now;
			sim_call_plan(s, &r->call, r->ring_interval);
			r->call_active = true;
			if (!r->call.nowait) {
				r->act = ACT_CALL;
			}
		}
	} else if (strcmp(w[0], "sleep") == 0 && n == 2) {
		int64_t ms = parse_seconds(w[1], &okay);
		if (okay) {
			r->act = ACT_SLEEP;
			r->act_until = now + ms;
		} else {
			err = "sleep needs seconds";
		}
	} else if (strcmp(w[0], "unplug") == 0) {
		close_pty(s);
		sim_event(s, "event unplug");
	} else if (strcmp(w[0], "replug") == 0) {
		char path[128];
		close_pty(s);
		sim_at_reset(s, true);
		int rc = sim_open_pty(s, path, sizeof(path));
		if (rc < 0) {
			sim_event(s, "event error replug: %s", strerror(-rc));
		} else {
			sim_event(s, "event replug %s", path);
		}
	} else if (strcmp(w[0], "mute") == 0 || strcmp(w[0], "unmute") == 0) {
		s->m.muted = strcmp(w[0], "mute") == 0;
		sim_event(s, "event %s", w[0]);
	} else if (strcmp(w[0], "errors") == 0 && n == 2 &&
		   (strcmp(w[1], "on") == 0 || strcmp(w[1], "off") == 0)) {
		s->m.errors = strcmp(w[1], "on") == 0;
		sim_event(s, "event errors %s", w[1]);
	} else if (strcmp(w[0], "reset") == 0) {
		sim_at_reset(s, false);
		sim_event(s, "event reset");
	} else if ((strcmp(w[0], "garbage") == 0 || strcmp(w[0], "noise") == 0) && n == 2) {
		char *end;
		unsigned long long count = strtoull(w[1], &end, 10);
		if (*end != '\0' || count > (1ull << 32)) {
			err = "garbage/noise needs a byte count";
		} else {
			s->noise_left = count;
			s->noise_printable = strcmp(w[0], "noise") == 0;
			r->act = ACT_NOISE;
		}
	} else if (strcmp(w[0], "send") == 0 && n >= 2) {
		/* Words were split: join them back with single blanks. */
		char text[SIM_LINE_MAX] = "";
		for (size_t i = 1; i < n; i++) {
			size_t used = strlen(text);
			snprintf(text + used, sizeof(text) - used, "%s%s", i > 1 ? " " : "", w[i]);
		}
		sim_out_line(s, text);
		sim_event(s, "event send");
	} else if (strcmp(w[0], "interval") == 0 && n == 2 && atoll(w[1]) > 0) {
		r->ring_interval = atoll(w[1]);
		sim_event(s, "event interval %lld", (long long)r->ring_interval);
	} else if (strcmp(w[0], "repeat") == 0) {
		r->script_pos = 0;
		sim_event(s, "event repeat");
	} else if (strcmp(w[0], "quit") == 0) {
		r->quit = true;
		sim_event(s, "event quit");
	} else {
		err = "unknown command";
	}
	if (err != NULL) {
		sim_event(s, "event error line %zu: %s: %s", r->lineno, err, w[0]);
	}
}

/* Finishes the running action when done; returns true when idle. */
static bool advance_action(struct sim *s, struct sim_run_state *r, int64_t now) {
	switch (r->act) {
	case ACT_NONE:
		return true;
	case ACT_SLEEP:
		if (now < r->act_until) {
			return false;
		}
		sim_event(s, "event sleep");
		break;
	case ACT_CALL:
		if (r->call_active) {
			return false;
		}
		break;
	case ACT_NOISE:
		if (s->noise_left > 0 || s->out_len > 0) {
			return false;
		}
		sim_event(s, "event %s", s->noise_printable ? "noise" : "garbage");
		break;
	}
	r->act = ACT_NONE;
	return true;
}

static char *next_command(struct sim_run_state *r) {
	if (r->script_pos < r->n_script) {
		r->lineno = r->script_pos + 1;
		return strdup(r->script[r->script_pos++]);
	}
	if (r->cmd_count > 0) {
		char *c = r->commands[r->cmd_head];
		r->cmd_head = (r->cmd_head + 1) % MAX_COMMANDS;
		r->cmd_count--;
		r->lineno++;
		return c;
	}
	return NULL;
}

/* Plays the ringing call's due steps, foreground or not. */
static void play(struct sim *s, struct sim_run_state *r, int64_t now) {
	if (r->call_active && sim_call_play(s, &r->call, now)) {
		r->call_active = false;
		sim_event(s, "event call done rings=%d answered=%s", r->call.rings_sent,
			  r->call.picked_up ? "yes" : "no");
	}
}

static void run_commands(struct sim *s, struct sim_run_state *r, int64_t now) {
	play(s, r, now);
	/* Bounded so a script of only immediate commands cannot starve I/O. */
	for (int i = 0; i < 256 && !r->quit && advance_action(s, r, now); i++) {
		char *line = next_command(r);
		if (line == NULL) {
			break;
		}
		exec_command(s, r, line, now);
		free(line);
	}
}

static int load_script(struct sim_run_state *r, const char *path) {
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		int err = errno;
		log_error("Could not open script %s: %s", path, strerror(err));
		return -err;
	}
	char line[1024];
	size_t total = 0;
	while (fgets(line, sizeof(line), f) != NULL && total < SCRIPT_MAX) {
		line[strcspn(line, "\r\n")] = '\0';
		total += strlen(line) + 1;
		char **grown = realloc(r->script, (r->n_script + 1) * sizeof(*grown));
		char *copy = strdup(line);
		if (grown == NULL || copy == NULL) {
			free(copy);
			if (grown != NULL) {
				r->script = grown;
			}
			fclose(f);
			return -ENOMEM;
		}
		r->script = grown;
		r->script[r->n_script++] = copy;
	}
	fclose(f);
	return 0;
}

static void read_control(struct sim_run_state *r) {
	ssize_t n = read(r->control_fd, r->control + r->control_len,
			 sizeof(r->control) - 1 - r->control_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		r->control_fd = -1; /* end of commands, not of the modem */
		return;
	}
	if (n < 0) {
		return;
	}
	r->control_len += (size_t)n;
	char *start = r->control;
	char *nl;
	while ((nl = memchr(start, '\n', r->control_len - (size_t)(start - r->control))) != NULL) {
		*nl = '\0';
		if (r->cmd_count < MAX_COMMANDS) {
			char *copy = strdup(start);
			if (copy != NULL) {
				r->commands[(r->cmd_head + r->cmd_count) % MAX_COMMANDS] = copy;
				r->cmd_count++;
			}
		}
		start = nl + 1;
	}
	size_t rest = r->control_len - (size_t)(start - r->control);
	if (rest == sizeof(r->control) - 1) {
		rest = 0; /* a line too long for the buffer is dropped */
	}
	memmove(r->control, start, rest);
	r->control_len = rest;
}

static void read_master(struct sim *s) {
	char buf[4096];
	ssize_t n = read(s->master, buf, sizeof(buf));
	if (n <= 0) {
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		char c = buf[i];
		if (c == '\r') {
			s->in[s->in_len] = '\0';
			if (!s->in_overflow && s->in_len > 0) {
				sim_at_line(s, s->in);
			}
			s->in_len = 0;
			s->in_overflow = false;
		} else if (c == '\n' || c == '\0') {
			continue;
		} else if (s->in_len + 1 < sizeof(s->in)) {
			s->in[s->in_len++] = c;
		} else {
			s->in_overflow = true;
		}
	}
}

static void write_master(struct sim *s) {
	if (s->out_len == 0) {
		return;
	}
	/* Read before the write: the host cannot see the number sooner, so a
	 * latency measured from it is never too short. */
	struct timespec ts = {0};
	if (s->stamp_at > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
	}
	ssize_t n = write(s->master, s->out, s->out_len);
	if (n > 0) {
		memmove(s->out, s->out + n, s->out_len - (size_t)n);
		s->out_len -= (size_t)n;
		if (s->stamp_at > (size_t)n) {
			s->stamp_at -= (size_t)n;
		} else if (s->stamp_at > 0) {
			s->stamp_at = 0;
			sim_event(s, "event nmbr %lld",
				  (long long)ts.tv_sec * 1000000000LL + (long long)ts.tv_nsec);
		}
	}
}

int sim_run(struct sim *s, int control_fd, const char *script_path) {
	struct sim_run_state *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return -ENOMEM;
	}
	r->control_fd = control_fd;
	r->ring_interval = s->opts.ring_interval_ms;
	s->owner = getpid();
	int rc = 0;
	if (script_path != NULL) {
		rc = load_script(r, script_path);
	}
	char path[128];
	if (rc == 0 && !s->plugged) {
		rc = sim_open_pty(s, path, sizeof(path));
	}
	if (rc == 0) {
		sim_event(s, "ready %s", s->pty_path);
	}
	while (rc == 0 && !r->quit && !s->stop) {
		int64_t now = now_ms();
		run_commands(s, r, now);
		fill_noise(s);
		if (s->plugged) {
			write_master(s);
		}
		if (r->quit) {
			break;
		}
		int64_t deadline = -1;
		if (r->act == ACT_SLEEP) {
			deadline = r->act_until;
		}
		if (r->call_active) {
			int64_t c = sim_call_deadline(&r->call);
			if (c >= 0 && (deadline < 0 || c < deadline)) {
				deadline = c;
			}
		}
		int timeout = 1000; /* also bounds the wait for sim_stop() */
		if (deadline >= 0) {
			int64_t d = deadline - now_ms();
			timeout = d < 0 ? 0 : d < timeout ? (int)d : timeout;
		}
		struct pollfd fds[2];
		nfds_t nfds = 0;
		int mi = -1, ci = -1;
		if (s->plugged) {
			mi = (int)nfds;
			fds[nfds++] = (struct pollfd){
				.fd = s->master,
				.events = POLLIN | (s->out_len > 0 ? POLLOUT : 0),
			};
		}
		if (r->control_fd >= 0) {
			ci = (int)nfds;
			fds[nfds++] = (struct pollfd){.fd = r->control_fd, .events = POLLIN};
		}
		if (poll(fds, nfds, timeout) < 0) {
			if (errno == EINTR) {
				continue;
			}
			rc = -errno;
			break;
		}
		if (mi >= 0 && (fds[mi].revents & POLLIN) != 0) {
			read_master(s);
		}
		if (mi >= 0 && s->plugged && (fds[mi].revents & POLLOUT) != 0) {
			write_master(s);
		}
		if (ci >= 0 && (fds[ci].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
			read_control(r);
		}
	}
	for (size_t i = 0; i < r->n_script; i++) {
		free(r->script[i]);
	}
	free(r->script);
	while (r->cmd_count > 0) {
		free(r->commands[r->cmd_head]);
		r->cmd_head = (r->cmd_head + 1) % MAX_COMMANDS;
		r->cmd_count--;
	}
	free(r);
	return rc;
}
