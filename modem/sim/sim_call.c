/*
 * The simulator's calls: the timeline of one call (rings, caller ID before
 * or between them, a late NAME, a pick-up, the end) and what each dialect
 * prints for them: formatted KEY = value lines or raw MDMF hex (+VCID=2),
 * GSM +CRING/+CLIP, NO CARRIER or Huawei ^CEND, Conexant DLE P for an
 * extension pick-up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_internal.h"

/* Caller ID as the dialect prints it once switched on. */
static void send_cid(struct sim *s, const struct sim_call *c, bool with_name) {
	if (c->nocid || s->m.cid_mode == 0) {
		return;
	}
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	const char *eq = s->opts.dialect == SIM_DIALECT_ROCKWELL ? "=" : " = ";
	if (s->m.cid_mode == 2) {
		/* MDMF: 0x80, length, parameters, checksum making the sum 0. */
		unsigned char msg[160];
		size_t n = 2;
		msg[n++] = 0x01;
		msg[n++] = 8;
		n += (size_t)snprintf((char *)msg + n, 9, "%02d%02d%02d%02d", tm.tm_mon + 1,
				      tm.tm_mday, tm.tm_hour, tm.tm_min);
		size_t len = strlen(c->number);
		if (len > 0 && strcmp(c->number, "P") != 0 && strcmp(c->number, "O") != 0) {
			len = len > 20 ? 20 : len;
			msg[n++] = 0x02;
			msg[n++] = (unsigned char)len;
			memcpy(msg + n, c->number, len);
			n += len;
		} else {
			msg[n++] = 0x04;
			msg[n++] = 1;
			msg[n++] = strcmp(c->number, "P") == 0 ? 'P' : 'O';
		}
		len = strlen(c->name);
		if (len > 0) {
			len = len > 50 ? 50 : len;
			msg[n++] = 0x07;
			msg[n++] = (unsigned char)len;
			memcpy(msg + n, c->name, len);
			n += len;
		}
		msg[0] = 0x80;
		msg[1] = (unsigned char)(n - 2);
		unsigned sum = 0;
		for (size_t i = 0; i < n; i++) {
			sum += msg[i];
		}
		msg[n++] = (unsigned char)(0x100 - (sum & 0xff));
		char hex[sizeof(msg) * 2 + 1];
		for (size_t i = 0; i < n; i++) {
			snprintf(hex + 2 * i, 3, "%02X", msg[i]);
		}
		sim_out_line(s, hex);
		sim_mark_number(s);
		return;
	}
	char line[160];
	snprintf(line, sizeof(line), "DATE%s%02d%02d", eq, tm.tm_mon + 1, tm.tm_mday);
	sim_out_line(s, line);
	snprintf(line, sizeof(line), "TIME%s%02d%02d", eq, tm.tm_hour, tm.tm_min);
	sim_out_line(s, line);
	snprintf(line, sizeof(line), "NMBR%s%s", eq, c->number[0] != '\0' ? c->number : "O");
	sim_out_line(s, line);
	sim_mark_number(s);
	if (with_name && c->name[0] != '\0') {
		snprintf(line, sizeof(line), "NAME%s%s", eq, c->name);
		sim_out_line(s, line);
	}
}

static void send_name(struct sim *s, const struct sim_call *c) {
	if (c->nocid || s->m.cid_mode != 1 || c->name[0] == '\0') {
		return;
	}
	char line[160];
	snprintf(line, sizeof(line), "NAME%s%s",
		 s->opts.dialect == SIM_DIALECT_ROCKWELL ? "=" : " = ", c->name);
	sim_out_line(s, line);
}

static void send_gsm_ring(struct sim *s, const struct sim_call *c) {
	sim_out_line(s, s->m.crc ? "+CRING: VOICE" : "RING");
	if (!s->m.clip || c->nocid) {
		return;
	}
	char line[200];
	if (strcmp(c->number, "P") == 0) {
		snprintf(line, sizeof(line), "+CLIP: \"\",128,,,,1");
	} else if (strcmp(c->number, "O") == 0 || c->number[0] == '\0') {
		snprintf(line, sizeof(line), "+CLIP: \"\",128,,,,2");
	} else if (c->name[0] != '\0') {
		snprintf(line, sizeof(line), "+CLIP: \"%s\",%d,,,\"%s\",0", c->number,
			 c->number[0] == '+' ? 145 : 129, c->name);
	} else {
		snprintf(line, sizeof(line), "+CLIP: \"%s\",%d,,,,0", c->number,
			 c->number[0] == '+' ? 145 : 129);
	}
	sim_out_line(s, line);
	sim_mark_number(s);
}

static void add_step(struct sim_call *c, int64_t at, enum sim_step_kind kind) {
	if (c->n_steps < sizeof(c->steps) / sizeof(c->steps[0])) {
		c->steps[c->n_steps].at = at;
		c->steps[c->n_steps].kind = kind;
		c->n_steps++;
	}
}

static int compare_steps(const void *a, const void *b) {
	const struct sim_step *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at ? 1 : (int)x->kind - (int)y->kind;
}

/* Lays out the call's timeline from its start. */
void sim_call_plan(struct sim *s, struct sim_call *c, int64_t interval) {
	bool gsm = s->opts.dialect == SIM_DIALECT_GSM;
	int64_t first_ring = 0;
	if (!gsm && c->uk) {
		add_step(c, 0, SIM_STEP_CID);
		first_ring = interval / 2;
	}
	int last = c->rings;
	if (c->answer > 0 && c->answer < last) {
		last = c->answer;
	}
	for (int k = 0; k < last; k++) {
		add_step(c, first_ring + k * interval, SIM_STEP_RING);
	}
	if (!gsm && !c->uk) {
		/* Between the first and second ring, as on North American lines. */
		add_step(c, interval / 2, SIM_STEP_CID);
	}
	if (!gsm && c->name_delay_ms > 0) {
		int64_t cid_at = c->uk ? 0 : interval / 2;
		add_step(c, cid_at + c->name_delay_ms, SIM_STEP_NAME);
	}
	int64_t end = first_ring + last * interval;
	if (c->answer > 0) {
		int64_t pick = first_ring + (last - 1) * interval + interval / 3;
		add_step(c, pick, SIM_STEP_PICKUP);
		end = pick + 1;
	}
	add_step(c, end, SIM_STEP_END);
	qsort(c->steps, c->n_steps, sizeof(c->steps[0]), compare_steps);
}

/* Runs the call's steps due by now; returns true when the call is over. */
bool sim_call_play(struct sim *s, struct sim_call *c, int64_t now) {
	bool gsm = s->opts.dialect == SIM_DIALECT_GSM;
	while (c->next < c->n_steps && c->start + c->steps[c->next].at <= now) {
		const struct sim_step *st = &c->steps[c->next++];
		switch (st->kind) {
		case SIM_STEP_RING:
			c->rings_sent++;
			if (gsm) {
				send_gsm_ring(s, c);
			} else {
				sim_out_line(s, "RING");
			}
			break;
		case SIM_STEP_CID:
			send_cid(s, c, c->name_delay_ms <= 0);
			break;
		case SIM_STEP_NAME:
			send_name(s, c);
			break;
		case SIM_STEP_PICKUP:
			/* Conexant reports an extension pick-up as DLE P when -STE
			 * bit 1 is set; other modems cannot tell. */
			if (s->opts.dialect == SIM_DIALECT_CONEXANT && (s->m.ste & 2) != 0) {
				sim_out(s, "\x10P", 2);
				c->picked_up = true;
			}
			break;
		case SIM_STEP_END:
			if (gsm) {
				sim_out_line(s, s->opts.huawei ? "^CEND:1,0,104,16" : "NO CARRIER");
			}
			return true;
		}
	}
	return c->next >= c->n_steps;
}

int64_t sim_call_deadline(const struct sim_call *c) {
	return c->next < c->n_steps ? c->start + c->steps[c->next].at : -1;
}

static bool valid_number(const char *n) {
	if (strcmp(n, "P") == 0 || strcmp(n, "O") == 0 || strcmp(n, "-") == 0) {
		return true;
	}
	size_t len = strlen(n);
	if (len == 0 || len >= SIM_NUMBER_MAX) {
		return false;
	}
	return strspn(n, "+0123456789*#") == len;
}

int sim_call_parse(char **w, size_t n, struct sim_call *c, const char **err) {
	memset(c, 0, sizeof(*c));
	c->rings = 4;
	c->uk = false;
	if (n < 2 || !valid_number(w[1])) {
		*err = "call needs a NUMBER: digits, P, O or -";
		return -EINVAL;
	}
	if (strcmp(w[1], "-") == 0) {
		c->nocid = true;
	} else {
		snprintf(c->number, sizeof(c->number), "%s", w[1]);
	}
	for (size_t i = 2; i < n; i++) {
		if (strncmp(w[i], "rings=", 6) == 0) {
			c->rings = atoi(w[i] + 6);
		} else if (strncmp(w[i], "answer=", 7) == 0) {
			c->answer = atoi(w[i] + 7);
		} else if (strncmp(w[i], "name_delay=", 11) == 0) {
			c->name_delay_ms = (int64_t)(strtod(w[i] + 11, NULL) * 1000);
		} else if (strcmp(w[i], "nocid") == 0) {
			c->nocid = true;
		} else if (strcmp(w[i], "uk") == 0) {
			c->uk = true;
		} else if (strcmp(w[i], "nowait") == 0) {
			c->nowait = true;
		} else if (i == 2) {
			snprintf(c->name, sizeof(c->name), "%s", w[i]);
		} else {
			*err = "unknown call option";
			return -EINVAL;
		}
	}
	if (c->rings < 1 || c->rings > SIM_MAX_RINGS || c->answer < 0 || c->answer > c->rings ||
	    c->name_delay_ms < 0) {
		*err = "rings must be 1-50, answer 0-rings, name_delay >= 0";
		return -EINVAL;
	}
	return 0;
}
