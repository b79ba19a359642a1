/*
 * The simulator's AT command interpreter: a small V.250 parser (basic
 * commands like E0 V1 Z I3 S0=0 &F chained on one line, extended ones like
 * +VCID=1 separated by ';') and what each dialect answers.
 *
 * Sourced: ATI0 56000 (Conexant) and 5601 (USR 5637) from callattendant;
 * ATI3 CX93001-EIS_V0.2002-V92 and +GMI: CONEXANT from a Conexant transcript;
 * AT+VCID? answering a bare "0" and +VCID forgotten after ATZ from
 * home-assistant/core#57765; -STE bits (1 line in use, 2 extension pick-up,
 * 4 remote hang-up) and -SCID forcing +VCID from Conexant's AT command
 * references 100722B and 102752B; #CID=0/1/2 from 3Com/USR and Askey
 * manuals; +GCAP: +CGSM,+DS,+ES, +CLIP and +CRC from 3GPP TS 27.007 and
 * ModemManager. Assumed: the USR and Rockwell ATI3 texts, +GCAP of the
 * landline modems, that only Conexant forgets caller ID on ATZ.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_internal.h"

enum reply { REPLY_OK, REPLY_ERROR, REPLY_NO_CARRIER };

struct dialect_info {
	const char *ati0, *ati3, *gmi, *gmm, *gcap;
	bool vcid, hash_cid, ste, gci;
	bool forgets_cid; /* ATZ switches caller ID off */
};

static const struct dialect_info *info(const struct sim *s) {
	static const struct dialect_info conexant = {
		"56000",
		"CX93001-EIS_V0.2002-V92",
		"+GMI: CONEXANT",
		NULL,
		"+GCAP: +FCLASS,+MS,+ES,+DS",
		true,
		false,
		true,
		true,
		true,
	};
	static const struct dialect_info usr = {
		"5601",
		"U.S. Robotics 56K FAX USB V1.2.23",
		"U.S. Robotics",
		"5637",
		"+GCAP: +FCLASS,+MS,+ES,+DS",
		true,
		true,
		false,
		true,
		false,
	};
	static const struct dialect_info rockwell = {
		"28800", "V1.301-V34_DS", NULL, NULL, NULL, false, true, false, false, false,
	};
	static const struct dialect_info gsm = {
		"SIMCOM_Ltd", "ERROR", "SIMCOM_Ltd", "SIMCOM_SIM800", "+GCAP: +CGSM,+DS,+ES",
		false,	      false,   false,	     false,	      true,
	};
	static const struct dialect_info huawei = {
		"huawei", "ERROR", "huawei", "E173", "+GCAP: +CGSM,+DS,+ES",
		false,	  false,   false,    false,  true,
	};
	switch (s->opts.dialect) {
	case SIM_DIALECT_CONEXANT:
		return &conexant;
	case SIM_DIALECT_USR:
		return &usr;
	case SIM_DIALECT_ROCKWELL:
		return &rockwell;
	case SIM_DIALECT_GSM:
		return s->opts.huawei ? &huawei : &gsm;
	}
	return &conexant;
}

void sim_at_reset(struct sim *s, bool power_on) {
	struct sim_modem *m = &s->m;
	m->echo = true;
	m->ste = 0;
	m->scid = 0;
	if (power_on || info(s)->forgets_cid) {
		m->cid_mode = 0;
		m->clip = false;
		m->crc = false;
	}
	if (power_on) {
		m->gci[0] = '\0';
		m->muted = false;
		m->errors = false;
	}
}

/* Parses an optional decimal number at *p; returns def when none. */
static int number(const char **p, int def) {
	if (!isdigit((unsigned char)**p)) {
		return def;
	}
	int v = 0;
	while (isdigit((unsigned char)**p)) {
		if (v < 100000) {
			v = v * 10 + (**p - '0');
		}
		(*p)++;
	}
	return v;
}

static enum reply basic(struct sim *s, char c, const char **p) {
	const struct dialect_info *d = info(s);
	switch (c) {
	case 'E': {
		int v = number(p, 0);
		s->m.echo = v != 0;
		return REPLY_OK;
	}
	case 'V':
	case 'Q':
	case 'X':
	case 'L':
	case 'M':
	case 'B':
	case 'W':
	case 'P':
	case 'T':
		number(p, 0);
		return REPLY_OK;
	case 'Z':
		number(p, 0);
		sim_at_reset(s, false);
		return REPLY_OK;
	case 'H':
		number(p, 0);
		return REPLY_OK;
	case 'I': {
		int v = number(p, 0);
		const char *text = v == 0 ? d->ati0 : v == 3 ? d->ati3 : NULL;
		if (v == 0 && s->opts.dialect == SIM_DIALECT_GSM) {
			char buf[96];
			snprintf(buf, sizeof(buf), "Manufacturer: %s", d->gmi);
			sim_out_line(s, buf);
			snprintf(buf, sizeof(buf), "Model: %s", d->gmm);
			sim_out_line(s, buf);
			sim_out_line(s, "Revision: 1.0");
			return REPLY_OK;
		}
		if (text == NULL) {
			return v <= 9 ? REPLY_OK : REPLY_ERROR;
		}
		if (strcmp(text, "ERROR") == 0) {
			return REPLY_ERROR;
		}
		sim_out_line(s, text);
		return REPLY_OK;
	}
	case 'S': {
		int reg = number(p, -1);
		if (reg < 0) {
			return REPLY_ERROR;
		}
		if (**p == '=') {
			(*p)++;
			number(p, 0);
			return REPLY_OK;
		}
		if (**p == '?') {
			(*p)++;
			sim_out_line(s, "000");
			return REPLY_OK;
		}
		return REPLY_OK;
	}
	case '&':
		if (isalpha((unsigned char)**p)) {
			(*p)++;
			number(p, 0);
			return REPLY_OK;
		}
		return REPLY_ERROR;
	case 'A':
	case 'O':
		return REPLY_NO_CARRIER;
	default:
		return REPLY_ERROR;
	}
}

/* ATD: the rest of the line is the dial string; ';' keeps command mode. */
static enum reply dial(struct sim *s, const char **p) {
	char number_buf[64];
	size_t n = 0;
	bool voice = false;
	while (**p != '\0') {
		char c = **p;
		(*p)++;
		if (c == ';') {
			voice = true;
			break;
		}
		if (n + 1 < sizeof(number_buf) &&
		    (isdigit((unsigned char)c) || strchr("+*#TPWtpw,", c))) {
			number_buf[n++] = c;
		}
	}
	number_buf[n] = '\0';
	sim_event(s, "event dial %s%s", number_buf, voice ? ";" : "");
	return voice ? REPLY_OK : REPLY_NO_CARRIER;
}

/* Parses "=n", "?" or "=?" after an extended command name. */
struct ext_args {
	bool set, query, test;
	int value;
	char text[32];
};

static void ext_args(const char **p, struct ext_args *a) {
	memset(a, 0, sizeof(*a));
	a->value = -1;
	if (**p == '?') {
		a->query = true;
		(*p)++;
	} else if (**p == '=') {
		(*p)++;
		if (**p == '?') {
			a->test = true;
			(*p)++;
		} else {
			a->set = true;
			size_t n = 0;
			while (**p != '\0' && **p != ';') {
				if (n + 1 < sizeof(a->text)) {
					a->text[n++] = **p;
				}
				(*p)++;
			}
			a->text[n] = '\0';
			if (isdigit((unsigned char)a->text[0])) {
				a->value = atoi(a->text);
			}
		}
	}
	/* Skip the rest of this extended command. */
	while (**p != '\0' && **p != ';') {
		(*p)++;
	}
}

static enum reply int_setting(struct sim *s, const struct ext_args *a, int *v, int max,
			      const char *query_prefix) {
	char buf[64];
	if (a->query) {
		snprintf(buf, sizeof(buf), "%s%d", query_prefix, *v);
		sim_out_line(s, buf);
		return REPLY_OK;
	}
	if (a->test) {
		snprintf(buf, sizeof(buf), "(0-%d)", max);
		sim_out_line(s, buf);
		return REPLY_OK;
	}
	if (a->set && a->value >= 0 && a->value <= max) {
		*v = a->value;
		return REPLY_OK;
	}
	return REPLY_ERROR;
}

static enum reply extended(struct sim *s, const char *name, const struct ext_args *a) {
	const struct dialect_info *d = info(s);
	struct sim_modem *m = &s->m;
	bool plain = !a->set && !a->query && !a->test;
	if (strcasecmp(name, "+GMI") == 0 || strcasecmp(name, "+GMM") == 0 ||
	    strcasecmp(name, "+GCAP") == 0) {
		const char *text = strcasecmp(name, "+GMI") == 0   ? d->gmi
				   : strcasecmp(name, "+GMM") == 0 ? d->gmm
								   : d->gcap;
		if (text == NULL || !plain) {
			return REPLY_ERROR;
		}
		sim_out_line(s, text);
		return REPLY_OK;
	}
	if (strcasecmp(name, "+VCID") == 0 && d->vcid) {
		return int_setting(s, a, &m->cid_mode, 2, "");
	}
	if (strcasecmp(name, "#CID") == 0 && d->hash_cid) {
		return int_setting(s, a, &m->cid_mode, 2, "");
	}
	if (strcasecmp(name, "-STE") == 0 && d->ste) {
		return int_setting(s, a, &m->ste, 7, "-STE: ");
	}
	if (strcasecmp(name, "-SCID") == 0 && d->ste) {
		enum reply r = int_setting(s, a, &m->scid, 2, "");
		if (r == REPLY_OK && a->set && m->scid > 0) {
			/* Forces +VCID to the same mode and sets line-in-use. */
			m->cid_mode = m->scid;
			m->ste |= 1;
		}
		return r;
	}
	if (strcasecmp(name, "+GCI") == 0 && d->gci) {
		if (a->query) {
			char buf[32];
			snprintf(buf, sizeof(buf), "+GCI: %s", m->gci[0] ? m->gci : "B5");
			sim_out_line(s, buf);
			return REPLY_OK;
		}
		if (a->set && strlen(a->text) == 2 && isxdigit((unsigned char)a->text[0]) &&
		    isxdigit((unsigned char)a->text[1])) {
			snprintf(m->gci, sizeof(m->gci), "%s", a->text);
			return REPLY_OK;
		}
		return REPLY_ERROR;
	}
	if (strcasecmp(name, "+FCLASS") == 0 && s->opts.dialect != SIM_DIALECT_GSM) {
		int fclass = 0;
		return int_setting(s, a, &fclass, 8, "");
	}
	if (s->opts.dialect == SIM_DIALECT_GSM) {
		if (strcasecmp(name, "+CLIP") == 0) {
			if (a->query) {
				sim_out_line(s, m->clip ? "+CLIP: 1,1" : "+CLIP: 0,1");
				return REPLY_OK;
			}
			int v = m->clip;
			enum reply r = int_setting(s, a, &v, 1, "+CLIP: ");
			m->clip = v != 0;
			return r;
		}
		if (strcasecmp(name, "+CRC") == 0) {
			int v = m->crc;
			enum reply r = int_setting(s, a, &v, 1, "+CRC: ");
			m->crc = v != 0;
			return r;
		}
		if (strcasecmp(name, "+CMEE") == 0 || strcasecmp(name, "+CLCC") == 0) {
			return REPLY_OK;
		}
	}
	return REPLY_ERROR;
}

void sim_at_line(struct sim *s, const char *line) {
	struct sim_modem *m = &s->m;
	if (m->muted) {
		return;
	}
	if (m->echo) {
		sim_out(s, line, strlen(line));
		sim_out(s, "\r", 1);
	}
	while (*line == ' ') {
		line++;
	}
	if (strncasecmp(line, "AT", 2) != 0) {
		return; /* modems ignore lines without AT */
	}
	if (s->opts.trace) {
		sim_event(s, "at %s", line);
	}
	if (m->errors) {
		sim_out_line(s, "ERROR");
		return;
	}
	/* V.250 commands are case-insensitive; keep a folded copy. */
	char buf[SIM_LINE_MAX];
	size_t n = 0;
	for (const char *c = line + 2; *c != '\0' && n + 1 < sizeof(buf); c++) {
		if (*c != ' ') {
			buf[n++] = (char)toupper((unsigned char)*c);
		}
	}
	buf[n] = '\0';

	enum reply r = REPLY_OK;
	const char *p = buf;
	while (*p != '\0' && r == REPLY_OK) {
		char c = *p++;
		if (c == ';') {
			continue;
		}
		if (c == 'D') {
			r = dial(s, &p);
		} else if (strchr("+#%-*^$", c) != NULL) {
			char name[24];
			size_t k = 0;
			name[k++] = c;
			while (*p != '\0' && (isalnum((unsigned char)*p) || *p == '_') &&
			       k + 1 < sizeof(name)) {
				name[k++] = *p++;
			}
			name[k] = '\0';
			struct ext_args a;
			ext_args(&p, &a);
			r = extended(s, name, &a);
		} else {
			r = basic(s, c, &p);
		}
	}
	switch (r) {
	case REPLY_OK:
		sim_out_line(s, "OK");
		break;
	case REPLY_ERROR:
		sim_out_line(s, "ERROR");
		break;
	case REPLY_NO_CARRIER:
		sim_out_line(s, "NO CARRIER");
		break;
	}
}
