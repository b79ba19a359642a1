#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_util.h"

static char *dup(const char *s) {
	return s != NULL ? strdup(s) : NULL;
}

static int take(const struct contact_record *r, void *data) {
	struct tcards *out = data;
	if (out->n == (int)(sizeof(out->cards) / sizeof(out->cards[0]))) {
		return 0;
	}
	struct tcard *c = &out->cards[out->n++];
	memset(c, 0, sizeof(*c));
	c->line = r->line;
	c->name = dup(r->name);
	c->company = dup(r->company);
	c->birthday = dup(r->birthday);
	for (size_t i = 0; i < r->n_emails && c->n_emails < T_MAX; i++) {
		c->emails[c->n_emails++] = dup(r->emails[i]);
	}
	for (size_t i = 0; i < r->n_phones && c->n_phones < T_MAX; i++) {
		c->numbers[c->n_phones] = dup(r->phones[i].number);
		c->labels[c->n_phones++] = dup(r->phones[i].label);
	}
	for (size_t i = 0; i < r->n_fields && c->n_fields < T_MAX * 2; i++) {
		c->keys[c->n_fields] = dup(r->fields[i].key);
		c->values[c->n_fields++] = dup(r->fields[i].value);
	}
	for (size_t i = 0; i < r->n_tags && c->n_tags < T_MAX; i++) {
		c->tags[c->n_tags++] = dup(r->tags[i]);
	}
	for (size_t i = 0; i < r->n_notes && c->n_notes < T_MAX; i++) {
		c->notes[c->n_notes] = r->notes[i];
		c->notes[c->n_notes++].text = dup(r->notes[i].text);
	}
	for (size_t i = 0; i < r->n_warnings && c->n_warnings < T_MAX; i++) {
		c->warning_lines[c->n_warnings] = r->warnings[i].line;
		c->warnings[c->n_warnings++] = dup(r->warnings[i].message);
	}
	return 0;
}

int t_parse(parse_fn parse, const char *data, long len, struct tcards *out) {
	memset(out, 0, sizeof(*out));
	out->ret = parse(data, len < 0 ? strlen(data) : (size_t)len, take, out, &out->err);
	return out->ret;
}

int t_parse_fixture(parse_fn parse, const char *name, struct tcards *out) {
	char path[512];
	snprintf(path, sizeof(path), "%s/contacts/%s", FIXTURES_DIR, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		memset(out, 0, sizeof(*out));
		out->ret = -1;
		return -1;
	}
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return t_parse(parse, buf, (long)n, out);
}

void t_free(struct tcards *cs) {
	for (int k = 0; k < cs->n; k++) {
		struct tcard *c = &cs->cards[k];
		free(c->name);
		free(c->company);
		free(c->birthday);
		for (int i = 0; i < c->n_emails; i++) {
			free(c->emails[i]);
		}
		for (int i = 0; i < c->n_phones; i++) {
			free(c->numbers[i]);
			free(c->labels[i]);
		}
		for (int i = 0; i < c->n_fields; i++) {
			free(c->keys[i]);
			free(c->values[i]);
		}
		for (int i = 0; i < c->n_tags; i++) {
			free(c->tags[i]);
		}
		for (int i = 0; i < c->n_notes; i++) {
			free((char *)c->notes[i].text);
		}
		for (int i = 0; i < c->n_warnings; i++) {
			free(c->warnings[i]);
		}
	}
	cs->n = 0;
}

const char *t_label(const struct tcard *c, const char *number) {
	for (int i = 0; i < c->n_phones; i++) {
		if (strcmp(c->numbers[i], number) == 0) {
			return c->labels[i] != NULL ? c->labels[i] : "(null)";
		}
	}
	return "";
}

const char *t_field(const struct tcard *c, const char *key) {
	for (int i = 0; i < c->n_fields; i++) {
		if (strcmp(c->keys[i], key) == 0) {
			return c->values[i];
		}
	}
	return NULL;
}

bool t_has_tag(const struct tcard *c, const char *tag) {
	for (int i = 0; i < c->n_tags; i++) {
		if (strcmp(c->tags[i], tag) == 0) {
			return true;
		}
	}
	return false;
}

const char *t_tags(const struct tcard *c) {
	static char buf[1024];
	buf[0] = '\0';
	for (int i = 0; i < c->n_tags; i++) {
		if (i > 0) {
			strncat(buf, "|", sizeof(buf) - strlen(buf) - 1);
		}
		strncat(buf, c->tags[i], sizeof(buf) - strlen(buf) - 1);
	}
	return buf;
}

bool t_warned(const struct tcard *c, const char *text) {
	for (int i = 0; i < c->n_warnings; i++) {
		if (strstr(c->warnings[i], text) != NULL) {
			return true;
		}
	}
	return false;
}
