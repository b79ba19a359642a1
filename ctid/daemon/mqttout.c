/*
 * The daemon's calls as MQTT topics and Home Assistant entities (see
 * mqttout.h). Payload keys of the discovery configs follow Home Assistant's
 * MQTT documentation as summarised, with sources, in
 * doc/mqtt-ha.md (cited below by its section numbers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "json.h"
#include "log.h"
#include "mqtt.h"
#include "mqttout.h"
#include "output.h"

struct mqttout {
	struct mqtt *mqtt;
	struct calls *calls; /* whose database is read (it may be opened again) */
	char *prefix;
	char *discovery; /* NULL: none */
	char *node;	 /* unique_id stem: "ctid_" and the prefix as a slug */
	bool names;
	GPtrArray *lines;   /* slugs of the lines seen */
	guint birth_timer;  /* republishing after Home Assistant's birth */
	guint missed_timer; /* the count of missed calls, a moment after a call ends */
	int64_t missed;	    /* the count last published, or -1 */
};

/* A call's end recounts the missed calls this much later (when no count is
 * known to add it to): not in the moment its missed-call popup and the next
 * call's need the CPU. */
#define MISSED_RECOUNT_MS 300

/* [A-Za-z0-9_-] only: what a topic level of ours and an HA object id may
 * hold (§1: node_id and object_id are [a-zA-Z0-9_-]). A new string. */
static char *slug(const char *s) {
	char *out = g_strdup(s != NULL && s[0] != '\0' ? s : "line");
	for (char *p = out; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-') {
			*p = '_';
		}
	}
	return out;
}

static void key_str(struct json_writer *w, const char *key, const char *value) {
	json_key(w, key);
	json_string(w, value); /* NULL: null */
}

static void publish_text(struct mqttout *o, const char *topic, const char *text, bool retain) {
	if (text != NULL) {
		mqtt_publish(o->mqtt, topic, text, retain);
	}
}

/* §1: every entity of ours belongs to one device and is available while
 * PREFIX/status says online (the defaults payload_available "online",
 * payload_not_available "offline", §2). */
static void write_common(struct json_writer *w, const struct mqttout *o, const char *uid,
			 const char *name) {
	key_str(w, "unique_id", uid);
	key_str(w, "name", name);
	char *avail = g_strdup_printf("%s/status", o->prefix);
	key_str(w, "availability_topic", avail);
	g_free(avail);
	json_key(w, "device");
	json_object_begin(w);
	json_key(w, "identifiers");
	json_array_begin(w);
	json_string(w, o->node);
	json_array_end(w);
	key_str(w, "name", "ctid");
	key_str(w, "manufacturer", "ctid");
	key_str(w, "model", "Caller ID");
	key_str(w, "sw_version", CTID_VERSION);
	json_object_end(w);
	json_key(w, "origin");
	json_object_begin(w);
	key_str(w, "name", "ctid");
	json_object_end(w);
}

/* §2: an event entity needs state_topic and event_types; the payload on the
 * topic is a JSON object whose "event_type" is one of them (the call JSON
 * carries it), its other keys become attributes; retained events are
 * discarded, so the call topic is not retained. */
static void write_event_config(struct json_writer *w, const void *a, const void *b) {
	const struct mqttout *o = a;
	const char *line = b;
	char *uid = g_strdup_printf("%s_line_%s", o->node, line);
	char *topic = g_strdup_printf("%s/line/%s/call", o->prefix, line);
	char *name = g_strdup_printf("Calls %s", line);
	json_object_begin(w);
	write_common(w, o, uid, name);
	key_str(w, "state_topic", topic);
	json_key(w, "event_types");
	json_array_begin(w);
	json_string(w, "call-started");
	json_string(w, "call-updated");
	json_string(w, "call-ended");
	json_array_end(w);
	key_str(w, "icon", "mdi:phone-incoming");
	json_object_end(w);
	g_free(uid);
	g_free(topic);
	g_free(name);
}

/* §3: a sensor needs state_topic; the state stays short (a name or number,
 * at most the 255 characters a sensor takes: see mqttout_call()), the
 * call's details go to json_attributes_topic, a topic of its own as the
 * docs advise. Home Assistant drops the attributes "state" and (before
 * 2024) "name" (MQTT_ATTRIBUTES_BLOCKED): the template adds them as
 * call_state and caller. */
static void write_last_caller_config(struct json_writer *w, const void *a, const void *b) {
	const struct mqttout *o = a;
	char *uid = g_strdup_printf("%s_last_caller", o->node);
	char *state = g_strdup_printf("%s/last_caller", o->prefix);
	char *attrs = g_strdup_printf("%s/last_call", o->prefix);
	json_object_begin(w);
	write_common(w, o, uid, "Last caller");
	key_str(w, "state_topic", state);
	key_str(w, "json_attributes_topic", attrs);
	key_str(w, "json_attributes_template",
		"{{ dict(value_json, call_state=value_json.state, caller=value_json.name) | tojson }}");
	key_str(w, "icon", "mdi:phone-incoming");
	json_object_end(w);
	g_free(uid);
	g_free(state);
	g_free(attrs);
}

/* §3: a count: state_class measurement with a unit makes it numeric. */
static void write_missed_config(struct json_writer *w, const void *a, const void *b) {
	const struct mqttout *o = a;
	char *uid = g_strdup_printf("%s_missed", o->node);
	char *state = g_strdup_printf("%s/missed", o->prefix);
	json_object_begin(w);
	write_common(w, o, uid, "Missed calls waiting");
	key_str(w, "state_topic", state);
	key_str(w, "state_class", "measurement");
	key_str(w, "unit_of_measurement", "calls");
	key_str(w, "icon", "mdi:phone-missed");
	json_object_end(w);
	g_free(uid);
	g_free(state);
}

/* §1: DISCOVERY/COMPONENT/OBJECT_ID/config, object_id = unique_id, no node_id;
 * retained, and sent again when Home Assistant says it is online. */
static void publish_config(struct mqttout *o, const char *component, const char *uid,
			   void (*write)(struct json_writer *, const void *, const void *),
			   const void *arg) {
	if (o->discovery == NULL) {
		return;
	}
	char *topic = g_strdup_printf("%s/%s/%s/config", o->discovery, component, uid);
	char *json = json_capture(write, o, arg);
	publish_text(o, topic, json, true);
	free(json);
	g_free(topic);
}

static void publish_line_config(struct mqttout *o, const char *line) {
	char *uid = g_strdup_printf("%s_line_%s", o->node, line);
	publish_config(o, "event", uid, write_event_config, line);
	g_free(uid);
}

static void publish_missed(struct mqttout *o, int64_t n) {
	o->missed = n;
	char text[24];
	snprintf(text, sizeof(text), "%lld", (long long)n);
	char *topic = g_strdup_printf("%s/missed", o->prefix);
	mqtt_publish(o->mqtt, topic, text, true);
	g_free(topic);
}

void mqttout_missed_changed(struct mqttout *o) {
	/* a count, not the call-back list: with 57,000 calls waiting (the
	 * bench's million contacts) the list took 600 ms of the main loop at
	 * the end of every call, and the count still takes 1.6 to 5 ms of it:
	 * asked for when calls are handled or written elsewhere, not when one
	 * more rang out (mqttout_call adds it) */
	int64_t n = 0;
	if (db_missed_count(calls_db(o->calls), &n) < 0) {
		o->missed = -1; /* logged by the call log; the last count stays */
		return;
	}
	publish_missed(o, n);
}

static gboolean recount_cb(gpointer data) {
	struct mqttout *o = data;
	o->missed_timer = 0;
	mqttout_missed_changed(o);
	return G_SOURCE_REMOVE;
}

static gboolean republish_cb(gpointer data) {
	struct mqttout *o = data;
	o->birth_timer = 0;
	log_info("Home Assistant is online: publishing its discovery configs again");
	mqtt_republish(o->mqtt);
	return G_SOURCE_REMOVE;
}

static void on_message(const char *topic, const char *payload, size_t len, void *data) {
	struct mqttout *o = data;
	/* §1: Home Assistant's birth message is not retained: configs and states
	 * go out again each time it says online, after a random delay (up to a
	 * second) as the docs recommend, so many devices do not answer at once */
	if (o->discovery != NULL && len == 6 && memcmp(payload, "online", 6) == 0 &&
	    o->birth_timer == 0) {
		o->birth_timer = g_timeout_add((guint)g_random_int_range(100, 1000), republish_cb, o);
	}
}

static const struct mqtt_hooks hooks = {
	.message = on_message,
};

struct mqttout *mqttout_create(const struct config_mqtt *c, const char *password,
			       struct calls *calls) {
	struct mqttout *o = g_new0(struct mqttout, 1);
	o->missed = -1;
	o->calls = calls;
	o->prefix = g_strdup(c->prefix != NULL ? c->prefix : CONFIG_DEFAULT_MQTT_PREFIX);
	if (!c->no_discovery) {
		o->discovery = g_strdup(c->discovery != NULL ? c->discovery : "homeassistant");
	}
	char *s = slug(o->prefix);
	o->node = g_strdup_printf("ctid_%s", s);
	g_free(s);
	o->names = !c->no_names;
	o->lines = g_ptr_array_new_with_free_func(g_free);
	struct mqtt_options mo = {
		.host = c->host,
		.port = c->port,
		.user = c->user,
		.password = password,
		.tls = c->tls,
		.ca_file = c->ca,
		.prefix = o->prefix,
	};
	o->mqtt = mqtt_create(&mo, &hooks, o);
	if (o->mqtt == NULL) {
		mqttout_destroy(o);
		return NULL;
	}
	log_info("Publishing calls to the MQTT broker %s under %s/", c->host, o->prefix);
	if (o->discovery != NULL) {
		char *status = g_strdup_printf("%s/status", o->discovery);
		mqtt_subscribe(o->mqtt, status);
		g_free(status);
		char *uid = g_strdup_printf("%s_last_caller", o->node);
		publish_config(o, "sensor", uid, write_last_caller_config, NULL);
		g_free(uid);
		uid = g_strdup_printf("%s_missed", o->node);
		publish_config(o, "sensor", uid, write_missed_config, NULL);
		g_free(uid);
	}
	mqttout_missed_changed(o);
	return o;
}

void mqttout_destroy(struct mqttout *o) {
	if (o == NULL) {
		return;
	}
	if (o->birth_timer != 0) {
		g_source_remove(o->birth_timer);
	}
	if (o->missed_timer != 0) {
		g_source_remove(o->missed_timer);
	}
	mqtt_destroy(o->mqtt);
	g_ptr_array_free(o->lines, true);
	g_free(o->prefix);
	g_free(o->discovery);
	g_free(o->node);
	g_free(o);
}

static void publish_state(struct mqttout *o, const char *line, const char *state) {
	char *topic = g_strdup_printf("%s/line/%s/state", o->prefix, line);
	mqtt_publish(o->mqtt, topic, state, true);
	g_free(topic);
}

void mqttout_line(struct mqttout *o, const char *name) {
	char *line = slug(name);
	for (guint i = 0; i < o->lines->len; i++) {
		if (strcmp(g_ptr_array_index(o->lines, i), line) == 0) {
			g_free(line);
			return; /* back again: its topics are still there */
		}
	}
	g_ptr_array_add(o->lines, line);
	publish_line_config(o, line);
	publish_state(o, line, "idle");
}

struct call_json {
	const struct mqttout *o;
	const char *event;
	const char *line;
};

/* The name shown: the contact's when the number matched, else the telco's;
 * none at all with mqtt-names = no. */
static const char *call_name(const struct mqttout *o, const struct call_entry *e) {
	if (!o->names) {
		return NULL;
	}
	if (e->match.contact_id > 0 && e->match.name[0] != '\0') {
		return e->match.name;
	}
	return e->info.name[0] != '\0' ? e->info.name : NULL;
}

static const char *nonempty(const char *s) {
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The keys the issue fixes (event, line, number, e164, name, contact, state,
 * rings, time), then event_type for Home Assistant's event entity (§2) and
 * a few of the D-Bus call's keys. */
static void write_call(struct json_writer *w, const void *a, const void *b) {
	const struct call_json *cj = a;
	const struct call_entry *e = b;
	const struct call_info *i = &e->info;
	char t[40];
	output_iso_time(i->started_wall / 1000, t, sizeof(t));
	json_object_begin(w);
	key_str(w, "event", cj->event);
	key_str(w, "line", e->line);
	key_str(w, "number", nonempty(i->number));
	key_str(w, "e164", nonempty(e->match.e164));
	key_str(w, "name", call_name(cj->o, e));
	json_key(w, "contact");
	json_int_or_null(w, e->match.contact_id > 0, e->match.contact_id);
	key_str(w, "state", call_state_str(i->state));
	json_key(w, "rings");
	json_int(w, i->rings);
	key_str(w, "time", i->started_wall > 0 ? t : NULL);
	key_str(w, "event_type", cj->event);
	key_str(w, "withheld", call_withheld_str(i->withheld));
	key_str(w, "formatted", nonempty(e->formatted));
	key_str(w, "department", e->department);
	json_key(w, "id");
	json_int(w, e->id);
	json_object_end(w);
}

void mqttout_call(struct mqttout *o, enum call_change change, const struct call_entry *e) {
	static const char *const events[] = {
		[CALL_STARTED] = "call-started",
		[CALL_UPDATED] = "call-updated",
		[CALL_ENDED] = "call-ended",
	};
	char *line = slug(e->line);
	mqttout_line(o, e->line);
	struct call_json cj = {.o = o, .event = events[change], .line = line};
	char *json = json_capture(write_call, &cj, e);
	char *topic = g_strdup_printf("%s/line/%s/call", o->prefix, line);
	publish_text(o, topic, json, false);
	g_free(topic);
	publish_state(o, line,
		      change == CALL_ENDED		     ? "idle"
		      : e->info.state == CALL_STATE_ANSWERED ? "answered"
							     : "ringing");
	if (change == CALL_STARTED) {
		const char *name = call_name(o, e);
		const char *caller = name != NULL		 ? name
				     : e->formatted[0] != '\0'	 ? e->formatted
				     : e->info.number[0] != '\0' ? e->info.number
								 : "withheld";
		/* §3: Home Assistant refuses a sensor's state longer than 255
		 * characters (a telco's name may be 1,023 bytes): the first 255,
		 * the whole name in ctid/last_call */
		char *valid = g_utf8_make_valid(caller, -1); /* U+FFFD for a stray byte */
		char *state = g_utf8_substring(valid, 0, MIN(g_utf8_strlen(valid, -1), 255));
		g_free(valid);
		topic = g_strdup_printf("%s/last_caller", o->prefix);
		mqtt_publish(o->mqtt, topic, state, true);
		g_free(topic);
		g_free(state);
	}
	topic = g_strdup_printf("%s/last_call", o->prefix);
	publish_text(o, topic, json, true);
	g_free(topic);
	free(json);
	g_free(line);
	/* a call that rang out is one more missed call nobody handled; no other
	 * end changes the count */
	if (change == CALL_ENDED && e->info.state == CALL_STATE_MISSED && o->missed_timer == 0) {
		if (o->missed >= 0) {
			publish_missed(o, o->missed + 1);
		} else {
			o->missed_timer = g_timeout_add(MISSED_RECOUNT_MS, recount_cb, o);
		}
	}
}
