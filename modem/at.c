#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "at.h"

struct at_command {
	char cmd[AT_CMD_MAX + 1];
	int64_t timeout_ms;
	at_done_fn done;
	void *data;
};

struct at_engine {
	at_write_fn write;
	void *write_data;

	/* Ring buffer of commands; the head is running once written. */
	struct at_command queue[AT_QUEUE_MAX];
	size_t head, count;
	bool written;
	bool echo_seen;
	int64_t deadline;
	int64_t now;
	/* Echo of the previous command may arrive late after a timeout. */
	char prev_cmd[AT_CMD_MAX + 1];

	char lines[AT_LINES_MAX][AT_LINE_MAX];
	size_t n_lines;

	/* Set while a completion callback runs: nothing is written then. */
	int completing;
};

static bool starts_with_ci(const char *s, const char *prefix) {
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_hex_line(const char *s, size_t len) {
	if (len < 10 || len % 2 != 0) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	/* SDMF starts with 04, MDMF with 80; raw reports may keep the 55 preamble. */
	return strncmp(s, "04", 2) == 0 || strncasecmp(s, "80", 2) == 0 ||
	       strncmp(s, "55", 2) == 0 || strncmp(s, "00", 2) == 0;
}

/* "NMBR = 123", "NAME=x", "DDN_NMBR= 1": formatted caller-ID tags. */
static bool is_cid_tag_line(const char *s) {
	static const char *const tags[] = {"DATE",     "TIME", "NMBR",	"NAME", "MESG",
					   "DDN_NMBR", "DDN",  "CALLR", "CID",	"CLID"};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t n = strlen(tags[i]);
		if (strncasecmp(s, tags[i], n) != 0) {
			continue;
		}
		const char *p = s + n;
		while (*p == ' ') {
			p++;
		}
		if (*p == '=' || *p == ':') {
			return true;
		}
	}
	return false;
}

bool at_line_is_unsolicited(const char *line) {
	static const char *const prefixes[] = {
		"+CRING:",   "+CLIP:",	      "+CCWA:",	     "+CNAP:",	"+CMTI:", "+CDSI:",
		"+CUSD:",    "+CREG:",	      "+CGREG:",     "+CEREG:", "+CIEV:", "+WIND:",
		"+CSSI:",    "+CSSU:",	      "+CDS:",	     "+CMT:",	"+CBM:",  "DRON",
		"DROF",	     "CALLER NUMBER", "CALLER NAME", "FM:",	"TO:",	  "CALLERID",
		"CALLER ID", "RING;",	      "###",
	};
	size_t len = strlen(line);
	if (len == 0) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		/* DLE-shielded voice events (pick-up, ring) never answer a command. */
		if (line[i] == 0x10) {
			return true;
		}
	}
	if (strcasecmp(line, "RING") == 0 || starts_with_ci(line, "RING ") ||
	    strcasecmp(line, "NO CARRIER") == 0) {
		return true;
	}
	/* Huawei and other vendors' reports: ^CEND, ^RSSI, ^BOOT, ^MODE. */
	if (line[0] == '^') {
		return true;
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (starts_with_ci(line, prefixes[i])) {
			return true;
		}
	}
	return is_cid_tag_line(line) || is_hex_line(line, len);
}

const char *at_result_str(enum at_result r) {
	switch (r) {
	case AT_RESULT_OK:
		return "OK";
	case AT_RESULT_CONNECT:
		return "CONNECT";
	case AT_RESULT_ERROR:
		return "ERROR";
	case AT_RESULT_CME_ERROR:
		return "+CME ERROR";
	case AT_RESULT_CMS_ERROR:
		return "+CMS ERROR";
	case AT_RESULT_NO_CARRIER:
		return "NO CARRIER";
	case AT_RESULT_BUSY:
		return "BUSY";
	case AT_RESULT_NO_DIALTONE:
		return "NO DIALTONE";
	case AT_RESULT_NO_ANSWER:
		return "NO ANSWER";
	case AT_RESULT_TIMEOUT:
		return "timeout";
	case AT_RESULT_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

struct at_engine *at_engine_create(at_write_fn write, void *data) {
	if (write == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct at_engine *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return NULL;
	}
	e->write = write;
	e->write_data = data;
	e->deadline = -1;
	return e;
}

static struct at_command *head(struct at_engine *e) {
	return e->count > 0 ? &e->queue[e->head] : NULL;
}

/* Pops the head and calls its callback. */
static void complete(struct at_engine *e, enum at_result result, int code, const char *final,
		     bool with_lines) {
	struct at_command cmd = e->queue[e->head];
	e->head = (e->head + 1) % AT_QUEUE_MAX;
	e->count--;
	e->written = false;
	e->deadline = -1;
	memcpy(e->prev_cmd, cmd.cmd, sizeof(e->prev_cmd));

	const char *ptrs[AT_LINES_MAX];
	size_t n = with_lines ? e->n_lines : 0;
	for (size_t i = 0; i < n; i++) {
		ptrs[i] = e->lines[i];
	}
	struct at_response resp = {
		.result = result,
		.error_code = code,
		.command = cmd.cmd,
		.final_line = final,
		.n_lines = n,
		.lines = ptrs,
	};
	e->completing++;
	if (cmd.done != NULL) {
		cmd.done(&resp, cmd.data);
	}
	e->completing--;
	if (with_lines) {
		e->n_lines = 0;
	}
}

/* Writes the head command when nothing is running. */
static void pump(struct at_engine *e) {
	while (e->completing == 0 && e->count > 0 && !e->written) {
		struct at_command *c = head(e);
		char buf[AT_CMD_MAX + 2];
		size_t len = strlen(c->cmd);
		memcpy(buf, c->cmd, len);
		buf[len++] = '\r';
		e->written = true;
		e->echo_seen = false;
		e->n_lines = 0;
		e->deadline = e->now + c->timeout_ms;
		if (e->write(buf, len, e->write_data) < 0) {
			complete(e, AT_RESULT_CANCELLED, -1, "", false);
		}
	}
}

void at_engine_cancel(struct at_engine *e) {
	if (e == NULL) {
		return;
	}
	/* Callbacks may queue more; bound the work in case they always do. */
	for (size_t guard = 0; e->count > 0 && guard < 16 * AT_QUEUE_MAX; guard++) {
		e->completing++;
		complete(e, AT_RESULT_CANCELLED, -1, "", false);
		e->completing--;
	}
	e->head = 0;
	e->count = 0;
	e->written = false;
	e->deadline = -1;
	e->n_lines = 0;
}

void at_engine_destroy(struct at_engine *e) {
	if (e == NULL) {
		return;
	}
	at_engine_cancel(e);
	free(e);
}

static bool valid_command(const char *cmd) {
	size_t len = strlen(cmd);
	if (len == 0 || len > AT_CMD_MAX) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)cmd[i];
		if (c < 0x20 || c > 0x7e) {
			return false;
		}
	}
	return true;
}

int at_engine_send(struct at_engine *e, const char *cmd, int64_t timeout_ms, at_done_fn done,
		   void *data, int64_t now) {
	if (e == NULL || cmd == NULL || !valid_command(cmd) || timeout_ms <= 0) {
		return -EINVAL;
	}
	if (e->count >= AT_QUEUE_MAX) {
		return -ENOBUFS;
	}
	struct at_command *c = &e->queue[(e->head + e->count) % AT_QUEUE_MAX];
	memset(c, 0, sizeof(*c));
	memcpy(c->cmd, cmd, strlen(cmd) + 1);
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->data = data;
	e->count++;
	e->now = now;
	pump(e);
	return 0;
}

/* Compares ignoring case and trailing blanks. */
static bool same_command(const char *line, const char *cmd) {
	size_t ll = strlen(line), cl = strlen(cmd);
	while (ll > 0 && isspace((unsigned char)line[ll - 1])) {
		ll--;
	}
	while (cl > 0 && isspace((unsigned char)cmd[cl - 1])) {
		cl--;
	}
	return ll == cl && ll > 0 && strncasecmp(line, cmd, ll) == 0;
}

static bool is_dial_command(const char *cmd) {
	return starts_with_ci(cmd, "ATD") || starts_with_ci(cmd, "ATA") || starts_with_ci(cmd, "ATO");
}

/* The answer to AT+CLIP? is "+CLIP: 1,1": not unsolicited for that command. */
static bool answers_command(const char *line, const char *cmd) {
	if (!starts_with_ci(cmd, "AT") || (cmd[2] != '+' && cmd[2] != '^' && cmd[2] != '#' &&
					   cmd[2] != '%' && cmd[2] != '-' && cmd[2] != '*')) {
		return false;
	}
	const char *name = cmd + 2;
	size_t n = 1;
	while (isalnum((unsigned char)name[n]) || name[n] == '_') {
		n++;
	}
	return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static int error_number(const char *line) {
	const char *p = strchr(line, ':');
	if (p == NULL) {
		return -1;
	}
	p++;
	while (*p == ' ') {
		p++;
	}
	if (!isdigit((unsigned char)*p)) {
		return -1;
	}
	char *end;
	long v = strtol(p, &end, 10);
	if (v < 0 || v > 65535) {
		return -1;
	}
	return (int)v;
}

/* Returns true and sets *r when line is a final result for cmd. */
static bool final_result(const char *line, const char *cmd, enum at_result *r, int *code) {
	*code = -1;
	if (strcasecmp(line, "OK") == 0) {
		*r = AT_RESULT_OK;
		return true;
	}
	if (strcasecmp(line, "ERROR") == 0) {
		*r = AT_RESULT_ERROR;
		return true;
	}
	if (starts_with_ci(line, "+CME ERROR")) {
		*r = AT_RESULT_CME_ERROR;
		*code = error_number(line);
		return true;
	}
	if (starts_with_ci(line, "+CMS ERROR")) {
		*r = AT_RESULT_CMS_ERROR;
		*code = error_number(line);
		return true;
	}
	if (strcasecmp(line, "CONNECT") == 0 || starts_with_ci(line, "CONNECT ")) {
		*r = AT_RESULT_CONNECT;
		return true;
	}
	/* Call progress results end a dial; otherwise they come from the line
	 * (GSM NO CARRIER when the caller hangs up) and are not ours. */
	if (!is_dial_command(cmd)) {
		return false;
	}
	if (strcasecmp(line, "NO CARRIER") == 0) {
		*r = AT_RESULT_NO_CARRIER;
	} else if (strcasecmp(line, "BUSY") == 0) {
		*r = AT_RESULT_BUSY;
	} else if (strcasecmp(line, "NO DIALTONE") == 0 || strcasecmp(line, "NO DIAL TONE") == 0 ||
		   strcasecmp(line, "LINE-IN-USE") == 0) {
		*r = AT_RESULT_NO_DIALTONE;
	} else if (strcasecmp(line, "NO ANSWER") == 0) {
		*r = AT_RESULT_NO_ANSWER;
	} else {
		return false;
	}
	return true;
}

bool at_engine_feed_line(struct at_engine *e, const char *line, int64_t now) {
	if (e == NULL || line == NULL) {
		return false;
	}
	e->now = now;
	/* Leading blanks are noise some modems add; trailing ones too. */
	while (*line == ' ' || *line == '\t') {
		line++;
	}
	char buf[AT_LINE_MAX];
	size_t len = strnlen(line, sizeof(buf) - 1);
	memcpy(buf, line, len);
	buf[len] = '\0';
	while (len > 0 && isspace((unsigned char)buf[len - 1])) {
		buf[--len] = '\0';
	}

	struct at_command *c = head(e);
	if (c == NULL || !e->written) {
		return false;
	}
	if (len == 0) {
		return true;
	}
	if (!e->echo_seen && same_command(buf, c->cmd)) {
		e->echo_seen = true;
		return true;
	}
	if (e->prev_cmd[0] != '\0' && same_command(buf, e->prev_cmd)) {
		e->prev_cmd[0] = '\0';
		return true;
	}
	enum at_result r;
	int code;
	if (final_result(buf, c->cmd, &r, &code)) {
		complete(e, r, code, buf, true);
		pump(e);
		return true;
	}
	if (!answers_command(buf, c->cmd) && at_line_is_unsolicited(buf)) {
		return false;
	}
	if (e->n_lines < AT_LINES_MAX) {
		memcpy(e->lines[e->n_lines], buf, len + 1);
		e->n_lines++;
	}
	return true;
}

int64_t at_engine_deadline(const struct at_engine *e) {
	if (e == NULL || e->count == 0 || !e->written) {
		return -1;
	}
	return e->deadline;
}

void at_engine_tick(struct at_engine *e, int64_t now) {
	if (e == NULL) {
		return;
	}
	e->now = now;
	if (e->count > 0 && e->written && now >= e->deadline) {
		complete(e, AT_RESULT_TIMEOUT, -1, "", true);
	}
	pump(e);
}

bool at_engine_busy(const struct at_engine *e) {
	return e != NULL && e->count > 0;
}

const char *at_engine_current(const struct at_engine *e) {
	if (e == NULL || e->count == 0 || !e->written) {
		return "";
	}
	return e->queue[e->head].cmd;
}
