/* ctidctl calls: the call log, and marking calls handled. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"
#include "phone.h"
#include "when.h"

static const char calls_usage[] =
	"Usage:\n"
	"  ctidctl calls [--missed] [--unhandled] [--state STATE]... [--since DATE]\n"
	"                [--until DATE] [--contact CONTACT | --number NUMBER]\n"
	"                [--limit N] [--json | --csv]\n"
	"  ctidctl calls handle ID... | --all-from CONTACT|NUMBER|withheld\n"
	"\n"
	"Lists logged calls, newest first (50 unless --limit; 0 is all). DATE is\n"
	"YYYY-MM-DD (local time), 'today', 'yesterday' or a number of days ago\n"
	"(7d); --until includes that day. STATE is answered, missed, unknown (the\n"
	"modem could not tell) or ringing. --number finds calls from a number that\n"
	"is no contact's. With --json: an array of objects with the keys number,\n"
	"name, withheld, e164, line, rings, date, state, contact, id, started,\n"
	"ended, handled, called_back.\n"
	"\n"
	"'handle' marks calls dealt with (off 'ctidctl missed'): the ids given,\n"
	"all of them or none, or every unhandled call from a contact, from a\n"
	"number no contact has, or from withheld numbers.\n";

struct calls_state {
	struct ctl *ctl;
	enum { OUT_TABLE, OUT_JSON, OUT_CSV } format;
	struct json_writer w;
	struct table t;
	int count;
};

static void who(struct ctl *ctl, const struct db_call *c, char *out, size_t size) {
	if (c->contact_name != NULL) {
		snprintf(out, size, "%s", c->contact_name);
	} else if (c->name != NULL) {
		snprintf(out, size, "%s", c->name);
	} else if (c->withheld != NULL) {
		snprintf(out, size, "%s number",
			 strcmp(c->withheld, "private") == 0 ? "Private" : "Unavailable");
	} else {
		output_number(c->e164, c->number != NULL ? c->number : "unknown", ctl->region, out,
			      size);
	}
}

static int one_call(const struct db_call *c, void *data) {
	struct calls_state *st = data;
	st->count++;
	if (st->format == OUT_JSON) {
		jsonout_call(&st->w, c, st->ctl->region);
		return 0;
	}
	char started[32], ended[32], caller[160], number[64] = "";
	output_time(c->started, started, sizeof(started));
	output_time(c->ended, ended, sizeof(ended));
	who(st->ctl, c, caller, sizeof(caller));
	output_number(c->e164, c->number, st->ctl->region, number, sizeof(number));
	if (st->format == OUT_CSV) {
		char id[24], rings[16], contact[24] = "";
		snprintf(id, sizeof(id), "%lld", (long long)c->id);
		snprintf(rings, sizeof(rings), "%d", c->rings);
		if (c->contact_id > 0) {
			snprintf(contact, sizeof(contact), "%lld", (long long)c->contact_id);
		}
		const char *fields[] = {id,
					started,
					ended,
					c->line,
					c->number,
					c->name,
					c->withheld,
					c->e164,
					contact,
					c->contact_name,
					rings,
					db_call_state_str(c->state),
					c->handled ? "yes" : "no"};
		size_t n = sizeof(fields) / sizeof(fields[0]);
		for (size_t i = 0; i < n; i++) {
			csv_write_cell(stdout, fields[i], i == 0);
		}
		fputs("\r\n", stdout);
		return 0;
	}
	char id[24], rings[16];
	snprintf(id, sizeof(id), "%lld", (long long)c->id);
	snprintf(rings, sizeof(rings), "%d", c->rings);
	/* "answered by 21", "out, answered", "missed, handled by anna" */
	char state[64 + 2 * DB_NAME_MAX];
	snprintf(state, sizeof(state), "%s%s%s%s%s%s%s", c->outgoing ? "out, " : "",
		 db_call_state_str(c->state),
		 c->answered_by != NULL && c->state == DB_CALL_ANSWERED ? " by " : "",
		 c->answered_by != NULL && c->state == DB_CALL_ANSWERED ? c->answered_by : "",
		 c->handled ? ", handled" : "", c->handled && c->handled_by ? " by " : "",
		 c->handled && c->handled_by ? c->handled_by : "");
	const char *row[] = {id, started, caller, number, c->line, rings, state};
	table_add(&st->t, row);
	return 0;
}

int ctl_call_number(const struct db_call *c, void *data) {
	char *out = data;
	const char *n = c->e164 != NULL ? c->e164 : c->number;
	snprintf(out, 64, "%s", n != NULL ? n : "");
	return 0;
}

struct id_list {
	int64_t ids[1024];
	int n;
	bool full;
};

static int push_id(struct id_list *l, int64_t id) {
	for (int i = 0; i < l->n; i++) {
		if (l->ids[i] == id) {
			return 0; /* found both as sent and as E.164 */
		}
	}
	if (l->n == (int)(sizeof(l->ids) / sizeof(l->ids[0]))) {
		l->full = true;
		return 1;
	}
	l->ids[l->n++] = id;
	return 0;
}

static int take_withheld(const struct db_call *c, void *data) {
	bool withheld = c->withheld != NULL || (c->number == NULL && c->e164 == NULL);
	return withheld ? push_id(data, c->id) : 0;
}

static int take_id(const struct db_call *c, void *data) {
	return push_id(data, c->id);
}

/* "3 calls marked handled", or {"handled":3} for --json. */
static void print_handled(const struct ctl *ctl, int n) {
	if (ctl->json) {
		printf("{\"handled\":%d}\n", n);
	} else {
		printf("%d call%s marked handled\n", n, n == 1 ? "" : "s");
	}
}

/* Marks the unhandled calls from a number nobody has (or, for "withheld",
 * from withheld numbers) handled; false when text is neither. */
static bool handle_stranger(struct ctl *ctl, const char *text, int64_t now, int *status) {
	struct id_list *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		*status = ctl_fail("out of memory");
		return true;
	}
	struct db_call_filter f = {.unhandled = true};
	int ret = 0;
	if (strcmp(text, "withheld") == 0) {
		ret = db_call_foreach(ctl->db, &f, take_withheld, l);
	} else {
		struct phone_number pn;
		char raw[64];
		size_t n = 0;
		for (const char *p = text; *p != '\0' && n + 1 < sizeof(raw); p++) {
			if ((*p >= '0' && *p <= '9') || (*p == '+' && n == 0)) {
				raw[n++] = *p;
			}
		}
		raw[n] = '\0';
		if (phone_normalize(text, ctl->region, &pn) < 0 || pn.withheld || n < 3) {
			free(l);
			return false;
		}
		/* as the modem sent it, and as E.164 when the region gives one */
		f.number = raw;
		ret = db_call_foreach(ctl->db, &f, take_id, l);
		if (ret == 0 && pn.e164[0] != '\0' && strcmp(pn.e164, raw) != 0) {
			f.number = pn.e164;
			ret = db_call_foreach(ctl->db, &f, take_id, l);
		}
	}
	if (ret == 0 && !l->full && (ret = db_begin(ctl->db)) == 0) {
		for (int i = 0; i < l->n && ret == 0; i++) {
			ret = db_call_mark_handled(ctl->db, l->ids[i], now);
		}
		ret = ret == 0 ? db_commit(ctl->db) : (db_rollback(ctl->db), ret);
	}
	if (ret < 0 || l->full) {
		*status = ctl_fail("could not mark the calls handled: %s",
				   l->full ? "too many at once" : strerror(-ret));
	} else {
		print_handled(ctl, l->n);
		*status = CTL_OK;
	}
	free(l);
	return true;
}

static int calls_handle(struct ctl *ctl, int argc, char *argv[]) {
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"all-from", required_argument, NULL, 'a'},
		{0},
	};
	const char *from = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		if (opt == 'a') {
			from = optarg;
		} else if (opt == 'h') {
			fputs(calls_usage, stdout);
			return CTL_OK;
		} else {
			return ctl_usage_error("calls", "bad option");
		}
	}
	if ((from == NULL) == (optind >= argc)) {
		return ctl_usage_error("calls", "give call IDs or --all-from CONTACT");
	}
	for (int i = optind; i < argc; i++) {
		int64_t id;
		if (!ctl_parse_id(argv[i], &id)) {
			return ctl_usage_error("calls", "'%s' is not a call id", argv[i]);
		}
	}
	if (ctl_remote(ctl)) {
		if (from != NULL) {
			return ctl_fail("--all-from works on the server's machine; on a desk give "
					"the call ids (ctidctl missed --json lists them)");
		}
		for (int i = optind; i < argc; i++) {
			int64_t id;
			ctl_parse_id(argv[i], &id);
			int ret = ctl_server_handle(ctl, id);
			if (ret == -ENOENT) {
				return ctl_fail("there is no call %lld", (long long)id);
			}
			if (ret < 0) {
				return CTL_ERROR;
			}
		}
		if (ctl->json) {
			print_handled(ctl, argc - optind);
		}
		return CTL_OK;
	}
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		return CTL_ERROR;
	}
	int64_t now = (int64_t)time(NULL);
	if (from != NULL) {
		int64_t id;
		int status;
		int ret = db_contact_resolve(db, from, &id, NULL, NULL);
		if (ret == -ENOENT && handle_stranger(ctl, from, now, &status)) {
			return status;
		}
		if ((status = ctl_contact_resolve(ctl, from, &id)) != CTL_OK) {
			return status;
		}
		int n = 0;
		if (db_call_mark_handled_contact(db, id, now, &n) < 0) {
			return ctl_fail("could not mark the calls handled");
		}
		print_handled(ctl, n);
		return CTL_OK;
	}
	int ret = db_begin(db);
	for (int i = optind; i < argc && ret == 0; i++) {
		int64_t id;
		ctl_parse_id(argv[i], &id);
		ret = db_call_mark_handled(db, id, now);
		if (ret < 0) {
			db_rollback(db);
			if (ret == -ENOENT) {
				return ctl_fail("there is no call %lld", (long long)id);
			}
			return ctl_fail("could not mark call %lld handled: %s", (long long)id,
					strerror(-ret));
		}
	}
	if (ret < 0 || (ret = db_commit(db)) < 0) {
		return ctl_fail("could not mark the calls handled: %s", strerror(-ret));
	}
	if (ctl->json) {
		print_handled(ctl, argc - optind);
	}
	return CTL_OK;
}

int ctl_calls(struct ctl *ctl, int argc, char *argv[]) {
	if (argc >= 2 && strcmp(argv[1], "handle") == 0) {
		return calls_handle(ctl, argc - 1, argv + 1);
	}
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"missed", no_argument, NULL, 'm'},
		{"unhandled", no_argument, NULL, 'u'},
		{"since", required_argument, NULL, 's'},
		{"contact", required_argument, NULL, 'c'},
		{"limit", required_argument, NULL, 'n'},
		{"csv", no_argument, NULL, 'C'},
		{"until", required_argument, NULL, 'U'},
		{"state", required_argument, NULL, 'S'},
		{"number", required_argument, NULL, 'N'},
		{0},
	};
	struct db_call_filter f = {.limit = 50};
	const char *contact = NULL, *since = NULL, *until = NULL;
	char states[64] = "";
	char number[64] = "";
	long limit;
	enum db_call_state state;
	bool csv = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case 'm':
			f.missed = true;
			break;
		case 'u':
			f.unhandled = true;
			break;
		case 's':
			if (!when_parse_since(optarg, &f.since)) {
				return ctl_usage_error("calls", "bad date '%s'", optarg);
			}
			since = optarg;
			break;
		case 'c':
			contact = optarg;
			break;
		case 'n':
			if (!ctl_parse_int(optarg, 0, 100000000, &limit)) {
				return ctl_usage_error("calls", "--limit wants a number (0: all)");
			}
			f.limit = (int)limit;
			break;
		case 'U':
			if (!when_parse_until(optarg, &f.until)) {
				return ctl_usage_error("calls", "bad date '%s'", optarg);
			}
			until = optarg;
			break;
		case 'S':
			if (db_call_state_parse(optarg, &state) < 0) {
				return ctl_usage_error("calls",
						       "bad state '%s' (answered, missed, unknown, "
						       "ringing)",
						       optarg);
			}
			f.states |= 1 << state;
			snprintf(states + strlen(states), sizeof(states) - strlen(states), "%s%s",
				 states[0] ? "," : "", db_call_state_str(state));
			break;
		case 'N':
			snprintf(number, sizeof(number), "%s", optarg);
			break;
		case 'C':
			csv = true;
			break;
		case 'h':
			fputs(calls_usage, stdout);
			return CTL_OK;
		default:
			fputs("Try 'ctidctl calls --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	if (optind < argc) {
		return ctl_usage_error("calls", "unexpected argument '%s'", argv[optind]);
	}
	bool remote = ctl_remote(ctl);
	if (!remote && ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	if (contact != NULL && number[0] != '\0') {
		return ctl_usage_error("calls", "give --contact or --number, not both");
	}
	if (contact != NULL) {
		int status = remote ? ctl_server_contact_resolve(ctl, contact, &f.contact_id)
				    : ctl_contact_resolve(ctl, contact, &f.contact_id);
		if (status != CTL_OK) {
			return status;
		}
	}
	if (number[0] != '\0' && !remote) {
		/* calls carry E.164 when the region gave one; else as sent */
		struct phone_number pn;
		if (phone_normalize(number, ctl->region, &pn) < 0 || pn.withheld) {
			return ctl_usage_error("calls", "'%s' is not a phone number", number);
		}
		if (pn.e164[0] != '\0') {
			snprintf(number, sizeof(number), "%s", pn.e164);
		}
		f.number = number;
	}
	struct calls_state st = {
		.ctl = ctl,
		.format = ctl->json ? OUT_JSON
			  : csv	    ? OUT_CSV
				    : OUT_TABLE,
	};
	static const char *const headers[] = {"ID",   "STARTED", "CALLER", "NUMBER",
					      "LINE", "RINGS",	 "STATE"};
	table_init(&st.t, 7, headers);
	json_init(&st.w, stdout);
	if (st.format == OUT_JSON) {
		json_array_begin(&st.w);
	} else if (st.format == OUT_CSV) {
		fputs("id,started,ended,line,number,name,withheld,e164,contact_id,contact,rings,"
		      "state,handled\r\n",
		      stdout);
	}
	struct ctl_calls_query q = {
		.missed = f.missed,
		.unhandled = f.unhandled,
		.since = since,
		.until = until,
		.states = states,
		.number = number,
		.contact_id = f.contact_id,
		.limit = f.limit,
	};
	int ret = remote ? ctl_server_calls(ctl, &q, one_call, &st)
			 : db_call_foreach(ctl->db, &f, one_call, &st);
	if (ret == -ECANCELED) {
		table_finish(&st.t);
		return CTL_ERROR;
	}
	if (st.format == OUT_JSON) {
		json_array_end(&st.w);
		putchar('\n');
	} else if (st.format == OUT_TABLE && st.count > 0) {
		table_print(&st.t, stdout);
	} else if (st.format == OUT_TABLE) {
		puts("No calls.");
	}
	table_finish(&st.t);
	if (ret < 0) {
		return ctl_fail("could not read the call log: %s", strerror(-ret));
	}
	return CTL_OK;
}
