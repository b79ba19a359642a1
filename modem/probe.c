/*
 * Modem start-up: reset, identify, switch caller ID on.
 *
 * ATZ first, because it is what makes a Conexant forget +VCID
 * (home-assistant/core#57765): everything after it is set again on every
 * start. ATE0V1Q0S0=0: no echo (the AT engine copes with it anyway), verbose
 * results, never auto-answer. ATI0/ATI3/AT+GMI/AT+GMM/AT+GCAP identify the
 * modem (ATI0 56000 Conexant and 5601 USR 5637 as callattendant tells them
 * apart; +GCAP listing +CGSM is a GSM modem, 3GPP TS 27.007). Then the
 * caller-ID commands in the order NCID's ncidd tries them (AT+VCID=1, then
 * AT#CID=1) followed by the older ones other tools list (AT%CCID=1, AT#CC1,
 * AT*ID1); GSM modems get AT+CLIP=1 and AT+CRC=1 (+CRING: VOICE). A Conexant
 * is asked for AT-STE=3 (line in use and extension pick-up detection,
 * Conexant AT command reference 100722B); only an OK sets detects_pickup.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "modem_internal.h"

enum step {
	STEP_RESET = 0,
	STEP_SETUP,
	STEP_ATI0,
	STEP_ATI3,
	STEP_GMI,
	STEP_GMM,
	STEP_GCAP,
	STEP_COUNTRY,
	STEP_CID,
	STEP_EXTRA,
	STEP_DONE,
};

static const char *const landline_cid[] = {
	"AT+VCID=1", "AT#CID=1", "AT%CCID=1", "AT#CC1", "AT*ID1",
};

static void send_step(struct modem *m);

static bool contains_ci(const char *hay, const char *needle) {
	size_t n = strlen(needle);
	for (; *hay != '\0'; hay++) {
		if (strncasecmp(hay, needle, n) == 0) {
			return true;
		}
	}
	return false;
}

/* Copies the first response line, without a "+GMI:" style prefix and
 * quotes, trimmed. */
static void keep_answer(const struct at_response *r, const char *prefix, char *out, size_t size) {
	out[0] = '\0';
	if (r->result != AT_RESULT_OK || r->n_lines == 0) {
		return;
	}
	const char *s = r->lines[0];
	if (prefix != NULL && strncasecmp(s, prefix, strlen(prefix)) == 0) {
		s += strlen(prefix);
	}
	while (*s == ' ' || *s == '"') {
		s++;
	}
	snprintf(out, size, "%s", s);
	size_t len = strlen(out);
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '"')) {
		out[--len] = '\0';
	}
}

/* "Manufacturer: huawei" in a GSM modem's ATI answer. */
static void find_field(const struct at_response *r, const char *field, char *out, size_t size) {
	size_t n = strlen(field);
	for (size_t i = 0; i < r->n_lines && out[0] == '\0'; i++) {
		if (strncasecmp(r->lines[i], field, n) == 0) {
			const char *s = r->lines[i] + n;
			while (*s == ' ') {
				s++;
			}
			snprintf(out, size, "%s", s);
		}
	}
}

static void identify(struct modem *m) {
	struct modem_info *i = &m->info;
	i->manufacturer[0] = i->model[0] = '\0';
	if (m->gcap_gsm) {
		i->dialect = MODEM_DIALECT_GSM;
		snprintf(i->manufacturer, sizeof(i->manufacturer), "%s", m->gmi);
		snprintf(i->model, sizeof(i->model), "%s", m->gmm);
	} else if (contains_ci(m->gmi, "conexant") || strncasecmp(m->ati3, "CX", 2) == 0 ||
		   strcmp(m->ati0, "56000") == 0) {
		i->dialect = MODEM_DIALECT_CONEXANT;
		snprintf(i->manufacturer, sizeof(i->manufacturer), "Conexant");
		/* "CX93001-EIS_V0.2002-V92": the chip is before the dash. */
		size_t len = strcspn(m->ati3, "-");
		snprintf(i->model, sizeof(i->model), "%.*s", (int)len, m->ati3);
	} else if (strcmp(m->ati0, "5601") == 0 || contains_ci(m->gmi, "robotics")) {
		i->dialect = MODEM_DIALECT_USR;
		snprintf(i->manufacturer, sizeof(i->manufacturer), "U.S. Robotics");
		snprintf(i->model, sizeof(i->model), "%s",
			 m->gmm[0] != '\0'		? m->gmm
			 : strcmp(m->ati0, "5601") == 0 ? "5637"
							: "");
	} else {
		i->dialect = MODEM_DIALECT_GENERIC;
		snprintf(i->manufacturer, sizeof(i->manufacturer), "%s", m->gmi);
		snprintf(i->model, sizeof(i->model), "%s", m->gmm[0] ? m->gmm : m->ati3);
	}
	if (i->manufacturer[0] == '\0') {
		snprintf(i->manufacturer, sizeof(i->manufacturer), "Unknown");
	}
	if (i->model[0] == '\0') {
		snprintf(i->model, sizeof(i->model), "modem");
	}
	i->gsm = i->dialect == MODEM_DIALECT_GSM;
	i->detects_pickup = false; /* until AT-STE answers OK */
	i->detects_hangup = i->gsm;
	i->can_dial = true; /* voice modems dial with ATD<n>; and GSM ones place calls */
}

/* What the current step sends, or NULL to skip it. */
static const char *step_command(struct modem *m, char *buf, size_t size) {
	switch ((enum step)m->step) {
	case STEP_RESET:
		return "ATZ";
	case STEP_SETUP:
		return "ATE0V1Q0S0=0";
	case STEP_ATI0:
		return "ATI0";
	case STEP_ATI3:
		return "ATI3";
	case STEP_GMI:
		return "AT+GMI";
	case STEP_GMM:
		return "AT+GMM";
	case STEP_GCAP:
		return "AT+GCAP";
	case STEP_COUNTRY:
		if (m->country == NULL) {
			return NULL;
		}
		snprintf(buf, size, "AT+GCI=%s", m->country);
		return buf;
	case STEP_CID:
		if (m->init != NULL) {
			return m->init;
		}
		if (m->info.gsm) {
			return "AT+CLIP=1";
		}
		return m->cid_try < sizeof(landline_cid) / sizeof(landline_cid[0])
			       ? landline_cid[m->cid_try]
			       : NULL;
	case STEP_EXTRA:
		if (m->init != NULL) {
			return NULL;
		}
		if (m->info.gsm) {
			return "AT+CRC=1";
		}
		return m->info.dialect == MODEM_DIALECT_CONEXANT ? "AT-STE=3" : NULL;
	case STEP_DONE:
		break;
	}
	return NULL;
}

static void step_done(const struct at_response *r, void *data) {
	struct modem *m = data;
	if (r->result == AT_RESULT_CANCELLED) {
		if (!m->closing) {
			m->probe->failed(m, "could not write to the port");
		}
		return;
	}
	if (r->result == AT_RESULT_TIMEOUT) {
		char why[160];
		snprintf(why, sizeof(why), "no answer to %s", r->command);
		m->probe->failed(m, why);
		return;
	}
	bool okay = r->result == AT_RESULT_OK;
	switch ((enum step)m->step) {
	case STEP_RESET:
		if (!okay) {
			char why[160];
			snprintf(why, sizeof(why), "%s answers %s", r->command,
				 at_result_str(r->result));
			m->probe->failed(m, why);
			return;
		}
		break;
	case STEP_SETUP:
		if (!okay) {
			log_debug("%s: %s refused; going on with echo", m->path, r->command);
		}
		break;
	case STEP_ATI0:
		keep_answer(r, NULL, m->ati0, sizeof(m->ati0));
		find_field(r, "Manufacturer:", m->gmi, sizeof(m->gmi));
		find_field(r, "Model:", m->gmm, sizeof(m->gmm));
		break;
	case STEP_ATI3:
		keep_answer(r, NULL, m->ati3, sizeof(m->ati3));
		break;
	case STEP_GMI: {
		char gmi[sizeof(m->gmi)];
		keep_answer(r, "+GMI:", gmi, sizeof(gmi));
		if (gmi[0] != '\0') {
			memcpy(m->gmi, gmi, sizeof(gmi));
		}
		break;
	}
	case STEP_GMM: {
		char gmm[sizeof(m->gmm)];
		keep_answer(r, "+GMM:", gmm, sizeof(gmm));
		if (gmm[0] != '\0') {
			memcpy(m->gmm, gmm, sizeof(gmm));
		}
		break;
	}
	case STEP_GCAP:
		m->gcap_gsm = false;
		for (size_t i = 0; okay && i < r->n_lines; i++) {
			if (contains_ci(r->lines[i], "+CGSM")) {
				m->gcap_gsm = true;
			}
		}
		identify(m);
		break;
	case STEP_COUNTRY:
		if (!okay) {
			log_warn("%s: the modem refused %s; caller ID may not work", m->path,
				 r->command);
		}
		break;
	case STEP_CID:
		if (okay) {
			snprintf(m->info.cid_command, sizeof(m->info.cid_command), "%s", r->command);
			break;
		}
		if (m->init != NULL) {
			char why[160];
			snprintf(why, sizeof(why), "the configured init %s answers %s", r->command,
				 at_result_str(r->result));
			m->probe->failed(m, why);
			return;
		}
		if (!m->info.gsm) {
			m->cid_try++;
			if (step_command(m, NULL, 0) != NULL) {
				send_step(m);
				return;
			}
		}
		log_warn("%s: no caller-ID command was accepted; only rings will be reported "
			 "(set an init string for this modem?)",
			 m->path);
		break;
	case STEP_EXTRA:
		if (!m->info.gsm) {
			m->info.detects_pickup = okay;
		} else if (!okay) {
			log_debug("%s: %s refused; rings come as RING", m->path, r->command);
		}
		break;
	case STEP_DONE:
		break;
	}
	m->step++;
	send_step(m);
}

/* Sends the current step's command, skipping steps with none. */
static void send_step(struct modem *m) {
	char buf[AT_CMD_MAX + 1];
	for (; m->step < STEP_DONE; m->step++) {
		const char *cmd = step_command(m, buf, sizeof(buf));
		if (cmd == NULL) {
			continue;
		}
		int64_t timeout = modem_command_timeout(m);
		if (m->step == STEP_RESET) {
			timeout *= 2;
		}
		int rc = at_engine_send(m->at, cmd, timeout, step_done, m, m->now.mono);
		if (rc < 0) {
			m->probe->failed(m, "could not queue a command");
		}
		return;
	}
	m->probe->ready(m);
}

void modem_probe_start(struct modem *m, const struct modem_probe_hooks *h) {
	m->probe = h;
	m->step = STEP_RESET;
	m->cid_try = 0;
	m->ati0[0] = m->ati3[0] = m->gmi[0] = m->gmm[0] = '\0';
	m->gcap_gsm = false;
	m->info.cid_command[0] = '\0';
	m->reinit_pending = false;
	m->probe->state(m, MODEM_STATE_INITIALISING);
	send_step(m);
}
