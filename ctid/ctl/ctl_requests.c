/*
 * ctidctl request|order add|list|close|arrived: what clients asked for
 * that was not there (a request), or what is on order for them (an order),
 * and who to call when it arrives.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"
#include "requests.h"

static void usage(FILE *f, const char *kind) {
	fprintf(f,
		"Usage:\n"
		"  ctidctl %s add CONTACT TEXT...\n"
		"  ctidctl %s list [--open] [--contact CONTACT] [--limit N] [QUERY...]\n"
		"  ctidctl %s close ID...\n"
		"  ctidctl %s arrived QUERY... [--close]\n"
		"\n"
		"A request is something a client asked for that you could not give them\n"
		"yet ('black shoe cream, out of stock'); an order is something on order\n"
		"for them. Both stay open until closed and show on the client's popup.\n"
		"'add' prints the new id. 'list' shows them newest first; QUERY matches\n"
		"words of the text (as prefixes: 'crea' finds cream). 'close' closes\n"
		"requests or orders by id.\n"
		"\n"
		"'arrived' is the call list for when it is in stock: the clients with\n"
		"open %ss matching QUERY, in the order they asked (oldest first),\n"
		"with their numbers; --close then closes those %ss.\n"
		"\n"
		"With --json: add prints {id, contact, kind}; list prints an array of\n"
		"{id, kind, contact: {id, name}, phone, text, created, age_days, open,\n"
		"closed}; close prints an array of {id, kind, contact, text}; arrived\n"
		"prints an array of {contact: {id, name}, company, phones: [{label,\n"
		"number, e164, formatted}], requests: [{id, text, created}], first_asked,\n"
		"closed}.\n",
		kind, kind, kind, kind, kind, kind);
}

static int parse_kind(const char *name, enum db_note_kind *kind) {
	return db_note_kind_parse(name, kind) == 0 && *kind != DB_NOTE_NOTE ? 0 : -EINVAL;
}

/* Parses options common to the subcommands; returns -1 to go on. */
struct opts {
	bool open, close;
	const char *contact;
	long limit;
};

static int parse_opts(struct ctl *ctl, const char *kind, const char *cmd, int argc, char *argv[],
		      struct opts *o) {
	enum { OPT_OPEN = 256, OPT_CLOSE, OPT_CONTACT, OPT_LIMIT };
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"open", no_argument, NULL, OPT_OPEN},
		{"close", no_argument, NULL, OPT_CLOSE},
		{"contact", required_argument, NULL, OPT_CONTACT},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case OPT_OPEN:
			o->open = true;
			break;
		case OPT_CLOSE:
			o->close = true;
			break;
		case OPT_CONTACT:
			o->contact = optarg;
			break;
		case OPT_LIMIT:
			if (!ctl_parse_int(optarg, 0, 1000000, &o->limit)) {
				return ctl_usage_error(cmd, "--limit wants a number (0: all)");
			}
			break;
		case 'h':
			usage(stdout, kind);
			return CTL_OK;
		default:
			fprintf(stderr, "Try 'ctidctl %s --help'.\n", kind);
			return CTL_USAGE;
		}
	}
	return -1;
}

static int request_add(struct ctl *ctl, enum db_note_kind kind, const char *cmd, int argc,
		       char *argv[]) {
	if (argc - optind < 2) {
		return ctl_usage_error(cmd, "give a CONTACT and the TEXT");
	}
	char *text = ctl_join_words(argc, argv, optind + 1);
	if (text == NULL) {
		return ctl_fail("out of memory");
	}
	if (text[strspn(text, " \t")] == '\0') {
		free(text);
		return ctl_usage_error(cmd, "the text is empty");
	}
	char what[32];
	snprintf(what, sizeof(what), "the %s", db_note_kind_str(kind));
	int64_t contact;
	int status = ctl_check_text(what, text, DB_TEXT_MAX, true);
	if (status == CTL_OK) {
		status = ctl_contact_resolve(ctl, argv[optind], &contact);
	}
	if (status != CTL_OK) {
		free(text);
		return status;
	}
	int64_t id;
	int ret = db_note_add(ctl->db, contact, kind, text, &id);
	free(text);
	if (ret < 0) {
		return ctl_fail("could not add the %s: %s", db_note_kind_str(kind), strerror(-ret));
	}
	if (ctl->json) {
		printf("{\"id\":%lld,\"contact\":%lld,\"kind\":\"%s\"}\n", (long long)id,
		       (long long)contact, db_note_kind_str(kind));
	} else {
		printf("%lld\n", (long long)id);
	}
	return CTL_OK;
}

static int list_matching(struct ctl *ctl, enum db_note_kind kind, const struct opts *o,
			 const char *query) {
	if (ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	struct db_note_filter f = {
		.kinds = 1 << kind,
		.open_only = o->open,
		.query = query[0] != '\0' ? query : NULL,
		.limit = (int)o->limit,
	};
	if (o->contact != NULL) {
		int status = ctl_contact_resolve(ctl, o->contact, &f.contact_id);
		if (status != CTL_OK) {
			return status;
		}
	}
	struct request_items l = {0};
	int ret = db_note_foreach(ctl->db, &f, requests_take, &l);
	if (ret < 0 || l.oom) {
		requests_finish(&l);
		return ctl_fail("could not list the %ss: %s", db_note_kind_str(kind),
				ret < 0 ? strerror(-ret) : "out of memory");
	}
	int64_t now = (int64_t)time(NULL);
	struct json_writer w;
	json_init(&w, stdout);
	static const char *const headers[] = {"ID", "CONTACT", "PHONE", "TEXT", "AGE", "STATUS"};
	struct table t;
	table_init(&t, 6, headers);
	if (ctl->json) {
		json_array_begin(&w);
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct request_item *it = &l.v[i];
		char phone[128], closed[40];
		ctl_phones_text(ctl, it->contact_id, false, phone, sizeof(phone));
		if (ctl->json) {
			struct db_note n = {
				.id = it->id,
				.contact_id = it->contact_id,
				.contact_name = it->contact_name,
				.kind = it->kind,
				.text = it->text,
				.open = it->open,
				.created = it->created,
				.closed = it->closed,
				.author = it->author,
				.closed_by = it->closed_by,
			};
			jsonout_request(&w, &n, phone, now);
			continue;
		}
		char id[24], age[32], status[48];
		snprintf(id, sizeof(id), "%lld", (long long)it->id);
		output_age(it->created, now, age, sizeof(age));
		if (it->open) {
			snprintf(status, sizeof(status), "open");
		} else {
			output_time(it->closed, closed, sizeof(closed));
			snprintf(status, sizeof(status), "closed %.10s", closed);
		}
		const char *row[] = {id, it->contact_name, phone, it->text, age, status};
		table_add(&t, row);
	}
	if (ctl->json) {
		json_array_end(&w);
		putchar('\n');
	} else if (t.rows > 0) {
		table_print(&t, stdout);
	} else {
		printf("No %s%ss%s%s%s.\n", o->open ? "open " : "", db_note_kind_str(kind),
		       query[0] ? " match '" : "", query, query[0] ? "'" : "");
	}
	table_finish(&t);
	requests_finish(&l);
	return CTL_OK;
}

/* Closes every item of l in one transaction; prints nothing. */
static int close_items(struct ctl *ctl, const struct request_items *l) {
	int ret = db_begin(ctl->db);
	for (size_t i = 0; ret == 0 && i < l->n; i++) {
		ret = db_note_close(ctl->db, l->v[i].id);
		if (ret < 0) {
			db_rollback(ctl->db);
			return ctl_fail("could not close %s #%lld: %s",
					db_note_kind_str(l->v[i].kind), (long long)l->v[i].id,
					strerror(-ret));
		}
	}
	if (ret < 0 || (ret = db_commit(ctl->db)) < 0) {
		return ctl_fail("could not close: %s", strerror(-ret));
	}
	return CTL_OK;
}

static int request_close(struct ctl *ctl, enum db_note_kind kind, const char *cmd, int argc,
			 char *argv[]) {
	if (optind >= argc) {
		return ctl_usage_error(cmd, "give the ids of the %ss to close",
				       db_note_kind_str(kind));
	}
	int64_t ids[256];
	int n = 0;
	for (int i = optind; i < argc; i++) {
		if (n == (int)(sizeof(ids) / sizeof(ids[0]))) {
			return ctl_usage_error(cmd, "at most %d ids at a time", n);
		}
		if (!ctl_parse_id(argv[i], &ids[n++])) {
			return ctl_usage_error(cmd, "'%s' is not an id", argv[i]);
		}
	}
	if (ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	/* Check them all first: either every one is closed, or none. */
	struct request_items l = {0};
	for (int i = 0; i < n; i++) {
		size_t before = l.n;
		int ret = db_note_get(ctl->db, ids[i], requests_take, &l);
		int status = CTL_OK;
		if (ret == -ENOENT) {
			status = ctl_fail("there is no %s #%lld", db_note_kind_str(kind),
					  (long long)ids[i]);
		} else if (ret < 0 || l.oom) {
			status = ctl_fail("could not read #%lld: %s", (long long)ids[i],
					  ret < 0 ? strerror(-ret) : "out of memory");
		} else if (l.v[before].kind == DB_NOTE_NOTE) {
			status = ctl_fail("#%lld is a note, not a request or order",
					  (long long)ids[i]);
		} else if (!l.v[before].open) {
			status = ctl_fail("%s #%lld is already closed",
					  db_note_kind_str(l.v[before].kind), (long long)ids[i]);
		}
		if (status != CTL_OK) {
			requests_finish(&l);
			return status;
		}
	}
	int status = close_items(ctl, &l);
	if (status == CTL_OK) {
		struct json_writer w;
		json_init(&w, stdout);
		if (ctl->json) {
			json_array_begin(&w);
		}
		for (size_t i = 0; i < l.n; i++) {
			const struct request_item *it = &l.v[i];
			if (!ctl->json) {
				printf("Closed %s #%lld (%s: %s)\n", db_note_kind_str(it->kind),
				       (long long)it->id, it->contact_name, it->text);
				continue;
			}
			json_object_begin(&w);
			json_key(&w, "id");
			json_int(&w, it->id);
			json_key(&w, "kind");
			json_string(&w, db_note_kind_str(it->kind));
			json_key(&w, "contact");
			jsonout_contact(&w, it->contact_id, it->contact_name);
			json_key(&w, "text");
			json_string(&w, it->text);
			json_object_end(&w);
		}
		if (ctl->json) {
			json_array_end(&w);
			putchar('\n');
		}
	}
	requests_finish(&l);
	return status;
}

static void arrived_row(struct ctl *ctl, struct table *t, const struct request_items *l,
			size_t first, int position) {
	const struct request_item *head = &l->v[first];
	char pos[16], phones[512], asked[40], ids[256] = "", texts[2048] = "";
	snprintf(pos, sizeof(pos), "%d", position);
	ctl_phones_text(ctl, head->contact_id, true, phones, sizeof(phones));
	output_time(head->created, asked, sizeof(asked));
	asked[10] = '\0'; /* the date is enough */
	for (size_t i = first; i < l->n; i++) {
		const struct request_item *it = &l->v[i];
		if (it->contact_id != head->contact_id) {
			continue;
		}
		size_t ni = strlen(ids), nt = strlen(texts);
		snprintf(ids + ni, sizeof(ids) - ni, "%s%lld", ni ? ", " : "", (long long)it->id);
		snprintf(texts + nt, sizeof(texts) - nt, "%s%s", nt ? "; " : "", it->text);
	}
	const char *row[] =
		{pos, head->contact_name, phones[0] ? phones : "(no number)", asked, ids, texts};
	table_add(t, row);
}

static int arrived_matching(struct ctl *ctl, enum db_note_kind kind, const struct opts *o,
			    const char *cmd, const char *query) {
	if (query[strspn(query, " \t")] == '\0') {
		return ctl_usage_error(cmd, "say what arrived (words of the %s's text)",
				       db_note_kind_str(kind));
	}
	if (ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	struct db_note_filter f = {.kinds = 1 << kind, .open_only = true, .query = query};
	struct request_items l = {0};
	int ret = db_note_foreach(ctl->db, &f, requests_take, &l);
	if (ret < 0 || l.oom) {
		requests_finish(&l);
		return ctl_fail("could not search the %ss: %s", db_note_kind_str(kind),
				ret < 0 ? strerror(-ret) : "out of memory");
	}
	if (l.n > 0) {
		requests_sort_asked(&l);
	}

	/* A client with several matching requests is called once, at the
	 * place of their first. */
	struct json_writer w;
	json_init(&w, stdout);
	static const char *const headers[] = {"#", "CONTACT", "PHONE", "ASKED", "ID", "TEXT"};
	struct table t;
	table_init(&t, 6, headers);
	if (ctl->json) {
		json_array_begin(&w);
	}
	int clients = 0;
	for (size_t i = 0; i < l.n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			seen = l.v[j].contact_id == l.v[i].contact_id;
		}
		if (seen) {
			continue;
		}
		clients++;
		if (ctl->json) {
			requests_write_arrived(&w, ctl->db, &l, i, o->close, ctl->region);
		} else {
			arrived_row(ctl, &t, &l, i, clients);
		}
	}
	if (ctl->json) {
		json_array_end(&w);
		putchar('\n');
	} else if (clients > 0) {
		printf("%d client%s to call about '%s', oldest request first:\n\n", clients,
		       clients == 1 ? "" : "s", query);
		table_print(&t, stdout);
	} else {
		printf("No open %ss match '%s'.\n", db_note_kind_str(kind), query);
	}
	table_finish(&t);
	int status = CTL_OK;
	if (o->close && l.n > 0) {
		fflush(stdout); /* the list is out before anything is closed */
		status = close_items(ctl, &l);
		if (status == CTL_OK && !ctl->json) {
			printf("\nClosed %zu %s%s.\n", l.n, db_note_kind_str(kind),
			       l.n == 1 ? "" : "s");
		}
	}
	requests_finish(&l);
	return status;
}

/* The words of the command line are the query (kept whole, however long). */
static int request_list(struct ctl *ctl, enum db_note_kind kind, const struct opts *o, int argc,
			char *argv[]) {
	char *query = ctl_join_words(argc, argv, optind);
	if (query == NULL) {
		return ctl_fail("out of memory");
	}
	int status = list_matching(ctl, kind, o, query);
	free(query);
	return status;
}

static int request_arrived(struct ctl *ctl, enum db_note_kind kind, const struct opts *o,
			   const char *cmd, int argc, char *argv[]) {
	char *query = ctl_join_words(argc, argv, optind);
	if (query == NULL) {
		return ctl_fail("out of memory");
	}
	int status = arrived_matching(ctl, kind, o, cmd, query);
	free(query);
	return status;
}

int ctl_request(struct ctl *ctl, int argc, char *argv[]) {
	const char *name = argv[0];
	enum db_note_kind kind;
	if (parse_kind(name, &kind) < 0) {
		return ctl_usage_error(name, "unknown command");
	}
	if (argc < 2 || ctl_help_asked(argc, argv)) {
		usage(argc < 2 ? stderr : stdout, name);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	const char *sub = argv[1];
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "%s %s", name, sub);
	argc--;
	argv++;
	struct opts o = {0};
	int status = parse_opts(ctl, name, cmd, argc, argv, &o);
	if (status >= 0) {
		return status;
	}
	bool list = strcmp(sub, "list") == 0, arrived = strcmp(sub, "arrived") == 0;
	if ((o.open || o.contact != NULL || o.limit > 0) && !list) {
		return ctl_usage_error(cmd, "--open, --contact and --limit are for '%s list'", name);
	}
	if (o.close && !arrived) {
		return ctl_usage_error(cmd, "--close is for '%s arrived'", name);
	}
	if (strcmp(sub, "add") == 0) {
		return request_add(ctl, kind, cmd, argc, argv);
	} else if (list) {
		return request_list(ctl, kind, &o, argc, argv);
	} else if (strcmp(sub, "close") == 0) {
		return request_close(ctl, kind, cmd, argc, argv);
	} else if (arrived) {
		return request_arrived(ctl, kind, &o, cmd, argc, argv);
	}
	return ctl_usage_error(name, "unknown %s command '%s'", name, sub);
}
