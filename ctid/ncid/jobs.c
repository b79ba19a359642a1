/* NCID client jobs and acknowledgments (see jobs.h; doc/ncid.md §7, §8). */
#include <string.h>

#include <glib.h>

#include "jobs.h"
#include "ncid_internal.h"

/* The alias types NCID's server knows (§7.2): the second argument of an
 * alias job starts with one of them and "&&". */
static const char *const alias_types[] = {"NOALIAS", "NMBRONLY", "NAMEONLY", "NMBRNAME",
					  "NMBRDEP", "NAMEDEP",	 "LINEONLY"};

struct span {
	const char *p;
	size_t n;
};

static bool span_is(struct span s, const char *w) {
	return s.n == strlen(w) && memcmp(s.p, w, s.n) == 0;
}

static bool span_starts(struct span s, const char *w) {
	size_t n = strlen(w);
	return s.n >= n && memcmp(s.p, w, n) == 0;
}

static struct span span_after(struct span s, size_t k) {
	return (struct span){s.p + k, s.n - k};
}

/* s without the blanks that end it. */
static struct span trim_end(struct span s) {
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t')) {
		s.n--;
	}
	return s;
}

/* Where needle first is in s, or s.n. */
static size_t find(struct span s, const char *needle) {
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= s.n; i++) {
		if (memcmp(s.p + i, needle, n) == 0) {
			return i;
		}
	}
	return s.n;
}

static char *span_dup(struct span s) {
	return g_strndup(s.p, s.n);
}

/* REQ: INFO number&&name[&&line] (§7.2). */
static void parse_info(struct span args, struct ncid_job *j) {
	size_t a = find(args, "&&");
	if (args.n == 0 || a == args.n) {
		j->kind = NCID_JOB_BAD;
		j->why = "REQ: INFO wants NUMBER&&NAME or NUMBER&&NAME&&LINE";
		return;
	}
	j->number = span_dup((struct span){args.p, a});
	struct span rest = span_after(args, a + 2);
	size_t b = find(rest, "&&");
	j->name = span_dup((struct span){rest.p, b});
	if (b < rest.n) {
		j->line = span_dup(span_after(rest, b + 2));
	}
}

/* Where the two quoted arguments "A" "B" divide: the first '" "' that
 * an alias type and "&&" follow for an alias job (the new name, typed by
 * someone, may hold '" "' itself), else the first '" "'. */
static size_t divide(struct span inner, bool alias) {
	for (size_t i = 0; alias && i + 3 <= inner.n; i++) {
		if (memcmp(inner.p + i, "\" \"", 3) != 0) {
			continue;
		}
		struct span b = span_after(inner, i + 3);
		for (size_t t = 0; t < G_N_ELEMENTS(alias_types); t++) {
			size_t n = strlen(alias_types[t]);
			if (span_starts(b, alias_types[t]) && span_starts(span_after(b, n), "&&")) {
				return i;
			}
		}
	}
	return find(inner, "\" \"");
}

/* REQ: alias|black|white add|modify|remove "A" "B" (§7.2). */
static void parse_list(struct span args, struct ncid_job *j) {
	static const char *const actions[] = {"add ", "modify ", "remove "};
	static const enum ncid_job_action action_of[] = {NCID_JOB_ADD, NCID_JOB_MODIFY,
							 NCID_JOB_REMOVE};
	bool alias = j->kind == NCID_JOB_ALIAS;
	size_t k = 0;
	while (k < G_N_ELEMENTS(actions) && !span_starts(args, actions[k])) {
		k++;
	}
	if (k == G_N_ELEMENTS(actions) || (!alias && action_of[k] == NCID_JOB_MODIFY)) {
		j->kind = NCID_JOB_BAD;
		j->why = alias ? "an alias job is add, modify or remove"
			       : "a black or white list job is add or remove";
		return;
	}
	j->action = action_of[k];
	struct span q = trim_end(span_after(args, strlen(actions[k])));
	if (q.n < 2 || q.p[0] != '"' || q.p[q.n - 1] != '"') {
		j->kind = NCID_JOB_BAD;
		j->why = "the job wants two quoted arguments, \"A\" \"B\"";
		return;
	}
	struct span inner = {q.p + 1, q.n - 2};
	size_t cut = divide(inner, alias);
	if (cut == inner.n) {
		j->kind = NCID_JOB_BAD;
		j->why = "the job wants two quoted arguments, \"A\" \"B\"";
		return;
	}
	struct span first = {inner.p, cut};
	struct span second = span_after(inner, cut + 3);
	if (!alias) {
		j->number = span_dup(first);
		j->name = span_dup(second);
		return;
	}
	size_t a = find(first, "&&");
	size_t b = find(second, "&&");
	if (a == first.n || b == second.n) {
		j->kind = NCID_JOB_BAD;
		j->why = "an alias job wants \"NUMBER&&ALIAS\" \"TYPE&&NAME\"";
		return;
	}
	j->number = span_dup((struct span){first.p, a});
	j->alias = span_dup(span_after(first, a + 2));
	j->name = span_dup(span_after(second, b + 2));
}

bool ncid_job_parse(const char *s, size_t len, struct ncid_job *j) {
	struct span line = trim_end((struct span){s, len});
	bool req = span_starts(line, "REQ: ");
	if (!req && !span_starts(line, "WRK: ")) {
		return false;
	}
	*j = (struct ncid_job){.kind = NCID_JOB_UNKNOWN};
	struct span cmd = span_after(line, 5);
	if (!req) {
		if (span_is(cmd, "ACCEPT LOG") || span_is(cmd, "ACCEPT LOGS") ||
		    span_is(cmd, "REJECT LOG") || span_is(cmd, "REJECT LOGS")) {
			j->kind = NCID_JOB_WORK;
			j->name = span_dup(cmd);
		}
		return true;
	}
	static const struct {
		const char *word;
		enum ncid_job_kind kind;
	} alone[] = {
		{"YO", NCID_JOB_YO},	     {"ACK", NCID_JOB_ACK},
		{"RELOAD", NCID_JOB_RELOAD}, {"REREAD", NCID_JOB_REREAD},
		{"UPDATE", NCID_JOB_UPDATE}, {"UPDATES", NCID_JOB_UPDATES},
	};
	for (size_t k = 0; k < G_N_ELEMENTS(alone); k++) {
		if (span_is(cmd, alone[k].word)) {
			j->kind = alone[k].kind;
			return true;
		}
	}
	if (span_starts(cmd, "INFO ") || span_is(cmd, "INFO")) {
		j->kind = NCID_JOB_INFO;
		parse_info(span_after(cmd, cmd.n > 4 ? 5 : 4), j);
	} else if (span_starts(cmd, "alias ")) {
		j->kind = NCID_JOB_ALIAS;
		parse_list(span_after(cmd, 6), j);
	} else if (span_starts(cmd, "black ")) {
		j->kind = NCID_JOB_BLACK;
		parse_list(span_after(cmd, 6), j);
	} else if (span_starts(cmd, "white ")) {
		j->kind = NCID_JOB_WHITE;
		parse_list(span_after(cmd, 6), j);
	}
	return true;
}

void ncid_job_clear(struct ncid_job *j) {
	g_free(j->number);
	g_free(j->alias);
	g_free(j->name);
	g_free(j->line);
	*j = (struct ncid_job){0};
}

char *ncid_format_block(enum ncid_block block, const char *text) {
	const char *open = "400 Start of data requiring OK";
	const char *close = "410 End of data";
	const char *prefix = "INFO: ";
	switch (block) {
	case NCID_BLOCK_OK:
		break;
	case NCID_BLOCK_DECIDE:
		open = "401 Start of data requiring ACCEPT or REJECT";
		break;
	case NCID_BLOCK_STATUS:
		open = "402 Start of data showing status of handled request";
		close = "411 End of response";
		prefix = "RESP: ";
		break;
	case NCID_BLOCK_PERMITTED:
		open = "403 Start of data defining permitted requests";
		close = "411 End of response";
		break;
	}
	GString *out = g_string_new(open);
	g_string_append(out, "\r\n");
	for (const char *p = text; p != NULL;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		g_string_append(out, prefix);
		ncid_append_clean(out, p, n, true);
		g_string_append(out, "\r\n");
		p = nl != NULL ? nl + 1 : NULL;
	}
	g_string_append(out, close);
	g_string_append(out, "\r\n");
	return g_string_free(out, FALSE);
}

char *ncid_format_ack(const char *line, size_t len) {
	GString *out = g_string_new("ACK: ");
	ncid_append_clean(out, line, len, true);
	g_string_append(out, "\r\n");
	return g_string_free(out, FALSE);
}
