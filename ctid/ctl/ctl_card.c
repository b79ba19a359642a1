/* ctidctl contact show: the card, its history and what is coming up. */
#include <errno.h>
#include <getopt.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card.h"
#include "civil.h"
#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"
#include "phone.h"

/* The card is printed from its JSON (card_write_json, or the server's API,
 * which writes the same): one printer for a card here and on a server. */
static JsonArray *list_of(JsonObject *o, const char *key) {
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
	return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static const char *or_empty(const char *s) {
	return s != NULL ? s : "";
}

/* Reminders shown on the card: those of the next 60 days. */
#define CARD_COMING_DAYS 60

static void print_text(JsonObject *card) {
	FILE *out = stdout;
	printf("%s%s%s  #%lld\n", output_bold(out), or_empty(ctl_json_text(card, "name")),
	       output_reset(out), (long long)ctl_json_int(card, "id"));
	const char *company = ctl_json_text(card, "company");
	if (company != NULL) {
		printf("  %s\n", company);
	}
	JsonArray *a = list_of(card, "phones");
	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		JsonObject *p = json_array_get_object_element(a, i);
		const char *label = ctl_json_text(p, "label");
		const char *formatted = ctl_json_text(p, "formatted");
		printf("  %-10s %s\n", label != NULL ? label : "phone",
		       formatted != NULL ? formatted : or_empty(ctl_json_text(p, "number")));
	}
	const char *email = ctl_json_text(card, "email");
	if (email != NULL) {
		printf("  %-10s %s\n", "email", email);
	}
	const char *birthday = ctl_json_text(card, "birthday");
	if (birthday != NULL) {
		printf("  %-10s %s\n", "birthday", birthday[0] == '-' ? birthday + 2 : birthday);
	}
	JsonNode *fields = json_object_get_member(card, "fields");
	if (fields != NULL && JSON_NODE_HOLDS_OBJECT(fields)) {
		JsonObject *f = json_node_get_object(fields);
		GList *keys = json_object_get_members(f);
		for (GList *k = keys; k != NULL; k = k->next) {
			printf("  %-10s %s\n", (const char *)k->data,
			       or_empty(ctl_json_text(f, k->data)));
		}
		g_list_free(keys);
	}
	a = list_of(card, "tags");
	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		printf("%s%s", i > 0 ? ", " : "  tags       ", json_array_get_string_element(a, i));
	}
	if (a != NULL && json_array_get_length(a) > 0) {
		putchar('\n');
	}

	a = list_of(card, "open_requests");
	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		JsonObject *r = json_array_get_object_element(a, i);
		if (i == 0) {
			printf("\n%sOpen requests%s\n", output_bold(out), output_reset(out));
		}
		char t[32];
		output_relative(ctl_json_time(r, "created"), (int64_t)time(NULL), t, sizeof(t));
		printf("  #%-4lld %s  %s(%s)%s\n", (long long)ctl_json_int(r, "id"),
		       or_empty(ctl_json_text(r, "text")), output_dim(out), t, output_reset(out));
	}
	a = list_of(card, "reminders");
	int coming = 0;
	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		JsonObject *r = json_array_get_object_element(a, i);
		int64_t days = ctl_json_int(r, "days_left");
		if (days > CARD_COMING_DAYS) {
			continue;
		}
		if (coming++ == 0) {
			printf("\n%sComing up%s\n", output_bold(out), output_reset(out));
		}
		char when[32];
		if (days == 0) {
			snprintf(when, sizeof(when), "today");
		} else if (days == 1) {
			snprintf(when, sizeof(when), "tomorrow");
		} else {
			snprintf(when, sizeof(when), "in %lld days", (long long)days);
		}
		printf("  %s  %-10s %s\n", or_empty(ctl_json_text(r, "date")), when,
		       or_empty(ctl_json_text(r, "text")));
	}

	a = list_of(card, "timeline");
	if (a != NULL && json_array_get_length(a) > 0) {
		printf("\n%sHistory%s\n", output_bold(out), output_reset(out));
	}
	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		JsonObject *e = json_array_get_object_element(a, i);
		const char *type = or_empty(ctl_json_text(e, "type"));
		char t[32];
		output_time(ctl_json_time(e, "time"), t, sizeof(t));
		if (strcmp(type, "call") == 0) {
			const char *state = or_empty(ctl_json_text(e, "state"));
			bool handled = ctl_json_bool(e, "handled");
			const char *by = ctl_json_text(e, "handled_by");
			const char *line = ctl_json_text(e, "line");
			const char *taken_by = ctl_json_text(e, "answered_by");
			bool placed = strcmp(or_empty(ctl_json_text(e, "direction")), "out") == 0;
			bool taken = taken_by != NULL && strcmp(state, "answered") == 0;
			int64_t rings = ctl_json_int(e, "rings");
			const char *red = strcmp(state, "missed") == 0 && !handled ? output_red(out)
										   : "";
			printf("  %s  %-8s %s%s%s%s%s, %lld ring%s%s%s%s%s%s\n", t,
			       placed ? "call out" : "call", red, state,
			       red[0] ? output_reset(out) : "", taken ? " by " : "",
			       taken ? taken_by : "", (long long)rings, rings == 1 ? "" : "s",
			       line ? ", line " : "", line ? line : "", handled ? ", handled" : "",
			       handled && by ? " by " : "", handled && by ? by : "");
		} else {
			printf("  %s  %-8s %s%s\n", t, type, or_empty(ctl_json_text(e, "text")),
			       strcmp(type, "note") != 0 && !ctl_json_bool(e, "open") ? " (closed)"
										      : "");
		}
	}
}

/* Prints json, a card as card_write_json writes it: as it is with --json,
 * else as text. */
static int print_card(struct ctl *ctl, const char *json, size_t len) {
	if (ctl->json) {
		fwrite(json, 1, len, stdout);
		putchar('\n');
		return CTL_OK;
	}
	JsonParser *p = json_parser_new();
	GError *err = NULL;
	int status = CTL_OK;
	if (json_parser_load_from_data(p, json, (gssize)len, &err) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		print_text(json_node_get_object(json_parser_get_root(p)));
	} else {
		status = ctl_fail("the card is not JSON: %s", err != NULL ? err->message : "?");
	}
	g_clear_error(&err);
	g_object_unref(p);
	return status;
}

int ctl_contact_show(struct ctl *ctl, int argc, char *argv[]) {
	static const struct option opts[] = {CTL_COMMON_LONGOPTS, {0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		if (opt == 'h') {
			puts("Usage: ctidctl contact show CONTACT [--json]");
			return CTL_OK;
		}
		fputs("Try 'ctidctl contact show --help'.\n", stderr);
		return CTL_USAGE;
	}
	if (optind + 1 != argc) {
		return ctl_usage_error("contact show", "give exactly one CONTACT");
	}
	int64_t id;
	bool remote = ctl_remote(ctl);
	int status = remote ? ctl_server_contact_resolve(ctl, argv[optind], &id)
			    : ctl_contact_resolve(ctl, argv[optind], &id);
	if (status != CTL_OK) {
		return status;
	}
	char *json = NULL;
	size_t len = 0;
	if (remote) {
		int ret = ctl_server_card(ctl, id, &json, &len);
		if (ret == -ENOENT) {
			return ctl_fail("there is no contact #%lld", (long long)id);
		}
		if (ret < 0) {
			return CTL_ERROR;
		}
	} else {
		struct card *card = card_load(ctl->db, id);
		if (card == NULL) {
			return ctl_fail("could not read contact #%lld: %s", (long long)id,
					strerror(errno));
		}
		int y, m, d;
		civil_today(&y, &m, &d);
		FILE *f = open_memstream(&json, &len);
		if (f != NULL) {
			struct json_writer w;
			json_init(&w, f);
			card_write_json(&w, ctl->db, card, ctl->region, y, m, d);
			fclose(f);
		}
		card_destroy(card);
		if (f == NULL) {
			return ctl_fail("out of memory");
		}
	}
	status = print_card(ctl, json, len);
	free(json);
	return status;
}
