/* The org.ctid.Ctid1 methods, answered from the call log and the modems. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "daemon_private.h"
#include "log.h"
#include "output.h"

void daemon_call_to_bus(struct daemon *d, const struct active *a, struct bus_call *out) {
	(void)d;
	const struct call_info *i = &a->info;
	enum db_call_state s = DB_CALL_RINGING;
	switch (i->state) {
	case CALL_STATE_ANSWERED:
		s = DB_CALL_ANSWERED;
		break;
	case CALL_STATE_MISSED:
		s = DB_CALL_MISSED;
		break;
	case CALL_STATE_UNKNOWN:
		s = DB_CALL_UNKNOWN;
		break;
	default:
		break;
	}
	*out = (struct bus_call){
		.id = a->id,
		.line = line_name(a->line),
		.number = i->number,
		.name = i->name,
		.withheld = call_withheld_str(i->withheld),
		.e164 = a->match.e164,
		.formatted = a->formatted,
		.contact_id = a->match.contact_id,
		.contact_name = a->match.name,
		.ambiguous = a->match.ambiguous,
		.rings = i->rings,
		.state = db_call_state_str(s),
		.started = i->started_wall / 1000,
		.ended = i->ended_wall / 1000,
		.date = a->date,
	};
}

static int lookup(void *data, const char *number, bus_lookup_fn fn, void *ctx) {
	struct daemon *d = data;
	struct db_match m;
	int ret = db_lookup(d->db, number, &m);
	if (ret < 0) {
		return ret;
	}
	char formatted[64];
	output_number(m.e164, number, d->region, formatted, sizeof(formatted));
	static const char *const kinds[] = {"", "exact", "suffix"};
	struct bus_lookup l = {
		.e164 = m.e164,
		.formatted = formatted,
		.contact_id = m.contact_id,
		.contact_name = m.name,
		.ambiguous = m.ambiguous,
		.withheld = m.withheld,
		.match = kinds[m.kind],
	};
	fn(&l, ctx);
	return 0;
}

struct call_ctx {
	struct daemon *d;
	bus_call_fn fn;
	void *ctx;
};

static int db_call_cb(const struct db_call *c, void *data) {
	struct call_ctx *cc = data;
	char formatted[64];
	output_number(c->e164, c->number, cc->d->region, formatted, sizeof(formatted));
	struct bus_call bc = {
		.id = c->id,
		.line = c->line,
		.number = c->number,
		.name = c->name,
		.withheld = c->withheld,
		.e164 = c->e164,
		.formatted = formatted,
		.contact_id = c->contact_id,
		.contact_name = c->contact_name,
		.rings = c->rings,
		.state = db_call_state_str(c->state),
		.started = c->started,
		.ended = c->ended,
		.date = c->date,
		.handled = c->handled != 0,
	};
	cc->fn(&bc, cc->ctx);
	return 0;
}

static int get_call(void *data, int64_t id, bus_call_fn fn, void *ctx) {
	struct daemon *d = data;
	if (id <= 0) {
		return -EINVAL;
	}
	struct call_ctx cc = {d, fn, ctx};
	return db_call_get(d->db, id, db_call_cb, &cc);
}

static int list_calls(void *data, const struct bus_call_filter *f, int limit, bus_call_fn fn,
		      void *ctx) {
	struct daemon *d = data;
	struct call_ctx cc = {d, fn, ctx};
	struct db_call_filter df = {
		.missed = f->missed,
		.unhandled = f->unhandled,
		.since = f->since,
		.contact_id = f->contact,
		.number = f->number,
		.limit = limit,
	};
	return db_call_foreach(d->db, &df, db_call_cb, &cc);
}

static int mark_handled(void *data, int64_t id) {
	struct daemon *d = data;
	if (id <= 0) {
		return -EINVAL;
	}
	return daemon_mark_handled(d, id);
}

static int add_note(void *data, const char *contact, const char *text, int64_t *note_id) {
	struct daemon *d = data;
	int64_t id;
	int ret = db_contact_resolve(d->db, contact, &id, NULL, NULL);
	if (ret < 0) {
		return ret;
	}
	return db_note_add(d->db, id, DB_NOTE_NOTE, text, note_id);
}

static int dial(void *data, const char *number) {
	struct daemon *d = data;
	/* People write numbers with spaces, dots, dashes and brackets; the
	 * modem takes digits, +, * and # only. Letters are refused. */
	char digits[40];
	size_t n = 0;
	for (const char *p = number; *p != '\0'; p++) {
		if ((*p >= '0' && *p <= '9') || *p == '+' || *p == '*' || *p == '#') {
			if (n + 1 >= sizeof(digits)) {
				return -EINVAL;
			}
			digits[n++] = *p;
		} else if (strchr(" .-()/", *p) == NULL) {
			return -EINVAL;
		}
	}
	digits[n] = '\0';
	if (n == 0) {
		return -EINVAL;
	}
	struct line *line = lines_dialer(d->lines);
	if (line == NULL) {
		return -ENOTSUP;
	}
	log_info("Dialling %s on %s", digits, line_path(line));
	return line_dial(line, digits);
}

struct modem_ctx {
	bus_modem_fn fn;
	void *ctx;
};

void daemon_modem_to_bus(struct line *line, struct bus_modem *m) {
	const struct modem_info *i = line_info(line);
	*m = (struct bus_modem){
		.path = line_path(line),
		.line = line_name(line),
		.state = modem_state_str(i->state),
		.manufacturer = i->manufacturer,
		.model = i->model,
		.dialect = modem_dialect_str(i->dialect),
		.cid_command = i->cid_command,
		.gsm = i->gsm,
		.can_dial = i->can_dial,
		.detects_pickup = i->detects_pickup,
	};
}

static void modem_cb(struct line *line, void *data) {
	struct modem_ctx *mc = data;
	struct bus_modem m;
	daemon_modem_to_bus(line, &m);
	mc->fn(&m, mc->ctx);
}

static void list_modems(void *data, bus_modem_fn fn, void *ctx) {
	struct daemon *d = data;
	struct modem_ctx mc = {fn, ctx};
	lines_foreach(d->lines, modem_cb, &mc);
}

static void database(void *data, struct bus_database *out) {
	daemon_database_state(data, out);
}

struct settings_ctx {
	struct daemon *d;
	bus_setting_fn fn;
	void *ctx;
};

static void setting_cb(const char *key, const char *value, void *data) {
	struct settings_ctx *sc = data;
	if (!strcmp(key, "database")) {
		value = sc->d->database; /* the default resolved */
	} else if (!strcmp(key, "region")) {
		value = sc->d->region; /* the locale's, when none was set */
	}
	sc->fn(key, value, sc->ctx);
}

static void settings(void *data, bus_setting_fn fn, void *ctx) {
	struct daemon *d = data;
	struct settings_ctx sc = {d, fn, ctx};
	config_foreach(&d->config, setting_cb, &sc);
}

const struct bus_handler daemon_bus_handler = {
	.lookup = lookup,
	.get_call = get_call,
	.list_calls = list_calls,
	.mark_handled = mark_handled,
	.add_note = add_note,
	.dial = dial,
	.list_modems = list_modems,
	.database = database,
	.settings = settings,
};
