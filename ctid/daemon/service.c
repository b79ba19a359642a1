/* The org.ctid.Ctid1 methods, answered from the call log and the modems. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "output.h"
#include "service.h"

struct service {
	struct service_env env;
	struct service_actions actions;
	void *data;
	struct bus *bus;
};

void service_call_view(const struct call_entry *e, struct bus_call *out) {
	const struct call_info *i = &e->info;
	*out = (struct bus_call){
		.id = e->id,
		.line = e->line,
		.number = i->number,
		.name = i->name,
		.withheld = call_withheld_str(i->withheld),
		.e164 = e->match.e164,
		.formatted = e->formatted,
		.contact_id = e->match.contact_id,
		.contact_name = e->match.name,
		.ambiguous = e->match.ambiguous,
		.rings = i->rings,
		.state = db_call_state_str(calls_db_state(i->state)),
		.started = i->started_wall / 1000,
		.ended = i->ended_wall / 1000,
		.date = e->date,
		.department = e->department,
	};
}

static int lookup(void *data, const char *number, bus_lookup_fn fn, void *ctx) {
	struct service *s = data;
	struct db_match m;
	int ret = db_lookup(calls_db(s->env.calls), number, &m);
	if (ret < 0) {
		return ret;
	}
	char formatted[64];
	output_number(m.e164, number, calls_region(s->env.calls), formatted, sizeof(formatted));
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
	struct service *s;
	bus_call_fn fn;
	void *ctx;
};

static int db_call_cb(const struct db_call *c, void *data) {
	struct call_ctx *cc = data;
	char formatted[64];
	output_number(c->e164, c->number, calls_region(cc->s->env.calls), formatted,
		      sizeof(formatted));
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
		.department = c->department,
	};
	cc->fn(&bc, cc->ctx);
	return 0;
}

static int get_call(void *data, int64_t id, bus_call_fn fn, void *ctx) {
	struct service *s = data;
	if (id <= 0) {
		return -EINVAL;
	}
	struct call_ctx cc = {s, fn, ctx};
	return db_call_get(calls_db(s->env.calls), id, db_call_cb, &cc);
}

static int list_calls(void *data, const struct bus_call_filter *f, int limit, bus_call_fn fn,
		      void *ctx) {
	struct service *s = data;
	struct call_ctx cc = {s, fn, ctx};
	struct db_call_filter df = {
		.missed = f->missed,
		.unhandled = f->unhandled,
		.since = f->since,
		.contact_id = f->contact,
		.number = f->number,
		.limit = limit,
	};
	return db_call_foreach(calls_db(s->env.calls), &df, db_call_cb, &cc);
}

static int mark_handled(void *data, int64_t id) {
	struct service *s = data;
	if (id <= 0) {
		return -EINVAL;
	}
	return s->actions.mark_handled(id, s->data);
}

static int add_note(void *data, const char *contact, const char *text, int64_t *note_id) {
	struct service *s = data;
	struct db *db = calls_db(s->env.calls);
	int64_t id;
	int ret = db_contact_resolve(db, contact, &id, NULL, NULL);
	if (ret < 0) {
		return ret;
	}
	return db_note_add(db, id, DB_NOTE_NOTE, text, note_id);
}

static int call_back(void *data, int64_t id, char number[64]) {
	struct service *s = data;
	if (id <= 0) {
		return -EINVAL;
	}
	return s->actions.call_back(id, number, s->data);
}

static int dial(void *data, const char *number) {
	struct service *s = data;
	/* People write numbers with spaces, dots, dashes and brackets; the
	 * modem takes digits, +, * and # only. Letters are refused. */
	char digits[OUTPUT_DIAL_MAX];
	if (!output_dial_digits(number, digits)) {
		return -EINVAL;
	}
	return s->actions.dial(digits, s->data);
}

struct modem_ctx {
	bus_modem_fn fn;
	void *ctx;
};

/* A network line in the list of modems, with their words: ready when up,
 * retrying while it reconnects. It knows answered from missed. */
static void net_view(struct line *line, struct bus_modem *m) {
	const char *maker, *model;
	bool up, can_dial;
	line_net_view(line, &maker, &model, &up, &can_dial);
	*m = (struct bus_modem){
		.path = line_path(line),
		.line = line_name(line),
		.state = up ? "ready" : "retrying",
		.manufacturer = maker,
		.model = model,
		.dialect = "",
		.cid_command = "",
		.can_dial = can_dial,
		.detects_pickup = true,
	};
}

void service_modem_view(struct line *line, struct bus_modem *m) {
	if (!line_is_modem(line)) {
		net_view(line, m);
		return;
	}
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
	service_modem_view(line, &m);
	mc->fn(&m, mc->ctx);
}

static void list_modems(void *data, bus_modem_fn fn, void *ctx) {
	struct service *s = data;
	struct modem_ctx mc = {fn, ctx};
	if (s->env.lines != NULL) {
		lines_foreach(s->env.lines, modem_cb, &mc);
	}
}

void service_database_view(struct calls *calls, struct bus_database *out) {
	struct calls_health h;
	calls_health(calls, &h);
	*out = (struct bus_database){
		.path = h.path,
		.writable = h.error == 0,
		.error = h.error != 0 ? strerror(-h.error) : "",
		.since = h.since,
		.waiting = (uint32_t)h.waiting,
	};
}

static void database(void *data, struct bus_database *out) {
	struct service *s = data;
	service_database_view(s->env.calls, out);
}

struct settings_ctx {
	const struct service_env *env;
	bus_setting_fn fn;
	void *ctx;
};

static void setting_cb(const char *key, const char *value, void *data) {
	struct settings_ctx *sc = data;
	if (!strcmp(key, "database")) {
		value = sc->env->database; /* the default resolved */
	} else if (!strcmp(key, "region")) {
		value = calls_region(sc->env->calls); /* the locale's, when none was set */
	}
	sc->fn(key, value, sc->ctx);
}

void service_settings_view(const struct service_env *env, bus_setting_fn fn, void *ctx) {
	struct settings_ctx sc = {env, fn, ctx};
	config_foreach(env->config, setting_cb, &sc);
}

static void settings(void *data, bus_setting_fn fn, void *ctx) {
	struct service *s = data;
	service_settings_view(&s->env, fn, ctx);
}

static void web(void *data, const char *const **urls, const char **fingerprint) {
	struct service *s = data;
	*urls = web_urls(s->env.web);
	const char *fp = web_fingerprint(s->env.web);
	*fingerprint = fp != NULL ? fp : "";
}

static const struct bus_handler handler = {
	.web = web,
	.lookup = lookup,
	.get_call = get_call,
	.list_calls = list_calls,
	.mark_handled = mark_handled,
	.add_note = add_note,
	.dial = dial,
	.call_back = call_back,
	.list_modems = list_modems,
	.database = database,
	.settings = settings,
};

struct service *service_create(enum bus_type type, const struct service_env *env,
			       const struct service_actions *a, void *data) {
	struct service *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return NULL;
	}
	s->env = *env;
	s->actions = *a;
	s->data = data;
	s->bus = bus_create(type, &handler, s);
	if (s->bus == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void service_destroy(struct service *s) {
	if (s == NULL) {
		return;
	}
	bus_destroy(s->bus);
	free(s);
}

void service_set_lines(struct service *s, struct lines *lines) {
	if (s != NULL) {
		s->env.lines = lines;
	}
}

void service_call(struct service *s, enum call_change change, const struct call_entry *e) {
	if (s == NULL) {
		return;
	}
	struct bus_call bc;
	service_call_view(e, &bc);
	const char *signal = change == CALL_STARTED ? "CallStarted"
			     : change == CALL_ENDED ? "CallEnded"
						    : "CallUpdated";
	bus_emit_call(s->bus, signal, &bc);
}

void service_modem_added(struct service *s, struct line *line) {
	if (s == NULL) {
		return;
	}
	struct bus_modem m;
	service_modem_view(line, &m);
	bus_emit_modem_added(s->bus, &m);
}

void service_modem_removed(struct service *s, struct line *line) {
	if (s != NULL) {
		bus_emit_modem_removed(s->bus, line_path(line));
	}
}

void service_database_changed(struct service *s) {
	if (s != NULL) {
		bus_database_changed(s->bus);
	}
}
