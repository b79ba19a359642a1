/*
 * Contacts CSV headers. Google writes numbered groups ("Phone 2 - Value"
 * with "Phone 2 - Type" before 2023, "Phone 2 - Label" since) and puts
 * several values in one cell joined by " ::: "; Outlook names each column
 * ("Mobile Phone", "Business Street"); people write "name,phone,email".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "csv_map.h"

enum role {
	R_IGNORE,
	R_NAME,
	R_PREFIX,
	R_GIVEN,
	R_MIDDLE,
	R_FAMILY,
	R_SUFFIX,
	R_FILE_AS,
	R_NICKNAME,
	R_COMPANY,
	R_TITLE,
	R_DEPARTMENT,
	R_EMAIL,
	R_PHONE,
	R_LABEL, /* the label of another column: read with it */
	R_BIRTHDAY,
	R_NOTES,
	R_TAGS,
	R_ADDRESS, /* a whole address, or a part of one: see the group */
	R_PAIR,	   /* a labelled value (Custom Field, Relation, Event, Website, IM) */
	R_FIELD,   /* anything else: a custom field named by the header */
};

enum pair_kind {
	PAIR_CUSTOM,
	PAIR_LOWER, /* Relation, Event: the label, in lower case, is the key */
	PAIR_FIXED, /* Website, IM: the default key */
};

struct csv_column {
	enum role role;
	char *header;
	const char *label; /* phones: the column's own label; pairs: the default key */
	int pair;	   /* the column holding this one's label, or -1 */
	int group;	   /* addresses */
	int order;	   /* addresses: where the part goes */
	enum pair_kind kind;
};

#define PART_FORMATTED (-1)

struct csv_group {
	char name[48];	 /* "Address 1", "Home" */
	const char *key; /* "home address", or NULL to take it from the label */
	int label_col;
};

static const struct {
	const char *header;
	enum role role;
} names[] = {
	{"name", R_NAME},
	{"full name", R_NAME},
	{"display name", R_NAME},
	{"contact name", R_NAME},
	{"contact", R_NAME},
	{"given name", R_GIVEN},
	{"first name", R_GIVEN},
	{"firstname", R_GIVEN},
	{"additional name", R_MIDDLE},
	{"middle name", R_MIDDLE},
	{"family name", R_FAMILY},
	{"last name", R_FAMILY},
	{"lastname", R_FAMILY},
	{"surname", R_FAMILY},
	{"name prefix", R_PREFIX},
	{"prefix", R_PREFIX},
	{"name suffix", R_SUFFIX},
	{"suffix", R_SUFFIX},
	{"file as", R_FILE_AS},
	{"nickname", R_NICKNAME},
	{"company", R_COMPANY},
	{"company name", R_COMPANY},
	{"organization", R_COMPANY},
	{"organisation", R_COMPANY},
	{"organization name", R_COMPANY},
	{"org", R_COMPANY},
	{"job title", R_TITLE},
	{"organization title", R_TITLE},
	{"position", R_TITLE},
	{"department", R_DEPARTMENT},
	{"organization department", R_DEPARTMENT},
	{"email", R_EMAIL},
	{"e-mail", R_EMAIL},
	{"email address", R_EMAIL},
	{"e-mail address", R_EMAIL},
	{"e-mail 2 address", R_EMAIL},
	{"e-mail 3 address", R_EMAIL},
	{"mail", R_EMAIL},
	{"birthday", R_BIRTHDAY},
	{"birth date", R_BIRTHDAY},
	{"birthdate", R_BIRTHDAY},
	{"date of birth", R_BIRTHDAY},
	{"dob", R_BIRTHDAY},
	{"bday", R_BIRTHDAY},
	{"notes", R_NOTES},
	{"note", R_NOTES},
	{"comments", R_NOTES},
	{"comment", R_NOTES},
	{"group membership", R_TAGS},
	{"labels", R_TAGS},
	{"categories", R_TAGS},
	{"category", R_TAGS},
	{"tags", R_TAGS},
	{"tag", R_TAGS},
	{"groups", R_TAGS},
	{"group", R_TAGS},
	{"photo", R_IGNORE},
	{"initials", R_IGNORE},
};

/* Columns that hold a phone number of a known kind. */
static const struct {
	const char *header;
	const char *label;
} phones[] = {
	{"phone", "phone"},
	{"phone number", "phone"},
	{"telephone", "phone"},
	{"tel", "phone"},
	{"number", "phone"},
	{"mobile", "mobile"},
	{"mobile phone", "mobile"},
	{"mobile number", "mobile"},
	{"cell", "mobile"},
	{"cell phone", "mobile"},
	{"work phone", "work"},
	{"business phone", "work"},
	{"business phone 2", "work"},
	{"home phone", "home"},
	{"home phone 2", "home"},
	{"primary phone", "main"},
	{"company main phone", "main"},
	{"business fax", "work fax"},
	{"home fax", "home fax"},
	{"other fax", "fax"},
	{"fax", "fax"},
	{"other phone", "other"},
	{"pager", "pager"},
	{"car phone", "car"},
	{"assistant's phone", "assistant"},
	{"callback", "callback"},
	{"radio phone", "radio"},
	{"isdn", "isdn"},
	{"telex", "telex"},
	{"tty/tdd phone", "tty"},
};

/* Parts of an address, in the order a person writes them. */
static const struct {
	const char *part;
	int order;
} parts[] = {
	{"street", 0},
	{"street 2", 1},
	{"street 3", 2},
	{"extended address", 3},
	{"po box", 4},
	{"address po box", 4},
	{"city", 5},
	{"region", 6},
	{"state", 6},
	{"postal code", 7},
	{"country", 8},
	{"country/region", 8},
	{"formatted", PART_FORMATTED},
};

/* Outlook's placeholders for "nothing". */
static bool placeholder(const char *v) {
	static const char *const words[] = {"0/0/00", "0/0/0000", "Normal", "False", "Unspecified"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(v, words[i]) == 0) {
			return true;
		}
	}
	return false;
}

static bool contains_word(const char *s, const char *w) {
	size_t n = strlen(w);
	for (; *s != '\0'; s++) {
		if (strncasecmp(s, w, n) == 0) {
			return true;
		}
	}
	return false;
}

/* Splits "Phone 2 - Value" into "Phone", 2 and "Value". */
static bool numbered(const char *h, char *base, size_t base_sz, int *num, const char **part) {
	const char *dash = strstr(h, " - ");
	if (dash == NULL) {
		return false;
	}
	const char *q = dash;
	while (q > h && isdigit((unsigned char)q[-1])) {
		q--;
	}
	if (q == dash || q == h || q[-1] != ' ') {
		return false;
	}
	*num = atoi(q);
	snprintf(base, base_sz, "%.*s", (int)(q - 1 - h), h);
	*part = dash + 3;
	return true;
}

static int group_for(struct csv_map *m, const char *name, const char *key) {
	for (size_t i = 0; i < m->n_groups; i++) {
		if (strcasecmp(m->groups[i].name, name) == 0) {
			return (int)i;
		}
	}
	struct csv_group *g = realloc(m->groups, (m->n_groups + 1) * sizeof(*g));
	if (g == NULL) {
		return -1;
	}
	m->groups = g;
	g = &m->groups[m->n_groups];
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->key = key;
	g->label_col = -1;
	return (int)m->n_groups++;
}

static int part_order(const char *part) {
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (strcasecmp(part, parts[i].part) == 0) {
			return parts[i].order;
		}
	}
	return -2;
}

/* Google's numbered columns. */
static void map_numbered(struct csv_map *m, struct csv_column *c, const char *base, int num,
			 const char *part) {
	bool value = strcasecmp(part, "value") == 0;
	bool label = strcasecmp(part, "type") == 0 || strcasecmp(part, "label") == 0;
	char name[48];
	snprintf(name, sizeof(name), "%.30s %d", base, num);
	if (strcasecmp(base, "phone") == 0 || strcasecmp(base, "e-mail") == 0 ||
	    strcasecmp(base, "email") == 0) {
		c->role = value	  ? (tolower((unsigned char)base[0]) == 'p' ? R_PHONE : R_EMAIL)
			  : label ? R_LABEL
				  : R_IGNORE;
	} else if (strcasecmp(base, "organization") == 0) {
		c->role = strcasecmp(part, "name") == 0 && num == 1	    ? R_COMPANY
			  : strcasecmp(part, "title") == 0 && num == 1	    ? R_TITLE
			  : strcasecmp(part, "department") == 0 && num == 1 ? R_DEPARTMENT
			  : label || contains_word(part, "yomi")	    ? R_IGNORE
									    : R_FIELD;
	} else if (strcasecmp(base, "address") == 0) {
		int order = part_order(part);
		c->role = label ? R_LABEL : order >= PART_FORMATTED ? R_ADDRESS : R_FIELD;
		c->group = group_for(m, name, NULL);
		c->order = order;
		if (label && c->group >= 0) {
			m->groups[c->group].label_col = (int)(c - m->cols);
		}
	} else if (strcasecmp(base, "custom field") == 0 || strcasecmp(base, "relation") == 0 ||
		   strcasecmp(base, "event") == 0 || strcasecmp(base, "website") == 0 ||
		   strcasecmp(base, "im") == 0) {
		c->role = value ? R_PAIR : label ? R_LABEL : R_IGNORE;
		c->kind = strcasecmp(base, "custom field") == 0 ? PAIR_CUSTOM
			  : strcasecmp(base, "website") == 0 || strcasecmp(base, "im") == 0
				  ? PAIR_FIXED
				  : PAIR_LOWER;
		c->label = strcasecmp(base, "website") == 0    ? "website"
			   : strcasecmp(base, "im") == 0       ? "im"
			   : strcasecmp(base, "event") == 0    ? "event"
			   : strcasecmp(base, "relation") == 0 ? "relation"
							       : "custom field";
	} else {
		c->role = label ? R_IGNORE : R_FIELD;
	}
}

/* The label column of numbered column i ("Phone 2 - Type" for "Phone 2 - Value"). */
static int find_label(const struct csv_map *m, size_t i) {
	char base[64], b2[64];
	int num, n2;
	const char *part, *p2;
	if (!numbered(m->cols[i].header, base, sizeof(base), &num, &part)) {
		return -1;
	}
	for (size_t k = 0; k < m->n; k++) {
		if (m->cols[k].role == R_LABEL &&
		    numbered(m->cols[k].header, b2, sizeof(b2), &n2, &p2) && n2 == num &&
		    strcasecmp(b2, base) == 0) {
			return (int)k;
		}
	}
	return -1;
}

static void map_outlook_address(struct csv_map *m, struct csv_column *c) {
	static const struct {
		const char *prefix;
		const char *key;
	} kinds[] = {{"home ", "home address"}, {"business ", "work address"}, {"other ", "address"}};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t n = strlen(kinds[k].prefix);
		if (strncasecmp(c->header, kinds[k].prefix, n) == 0) {
			int order = part_order(c->header + n);
			if (order >= 0) {
				c->role = R_ADDRESS;
				c->group = group_for(m, kinds[k].prefix, kinds[k].key);
				c->order = order;
			}
			return;
		}
	}
}

static void map_column(struct csv_map *m, struct csv_column *c, bool outlook) {
	const char *h = c->header;
	c->role = R_FIELD;
	c->pair = -1;
	c->group = -1;
	if (h[0] == '\0' || contains_word(h, "yomi") || contains_word(h, "phonetic") ||
	    (strncasecmp(h, "e-mail", 6) == 0 &&
	     (contains_word(h, "type") || contains_word(h, "display name")))) {
		c->role = R_IGNORE;
		return;
	}
	if (strcasecmp(h, "title") == 0) {
		c->role = outlook ? R_PREFIX : R_TITLE; /* Outlook's Title is "Mr." */
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(h, names[i].header) == 0) {
			c->role = names[i].role;
			return;
		}
	}
	for (size_t i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
		if (strcasecmp(h, phones[i].header) == 0) {
			c->role = R_PHONE;
			c->label = phones[i].label;
			return;
		}
	}
	char base[64];
	int num;
	const char *part;
	if (numbered(h, base, sizeof(base), &num, &part)) {
		map_numbered(m, c, base, num, part);
		return;
	}
	map_outlook_address(m, c);
}

static char *trim_dup(const char *s) {
	while (*s == ' ' || *s == '\t') {
		s++;
	}
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
		n--;
	}
	return strndup(s, n < 200 ? n : 200);
}

int csv_map_init(struct csv_map *m, const char *const *headers, size_t n) {
	memset(m, 0, sizeof(*m));
	m->cols = calloc(n > 0 ? n : 1, sizeof(*m->cols));
	if (m->cols == NULL) {
		return -ENOMEM;
	}
	m->n = n;
	bool outlook = false;
	for (size_t i = 0; i < n; i++) {
		m->cols[i].header = trim_dup(headers[i]);
		if (m->cols[i].header == NULL) {
			return -ENOMEM;
		}
		static const char *const outlook_headers[] = {"e-mail address", "business phone",
							      "mobile phone", "business street"};
		for (size_t k = 0; k < 4; k++) {
			outlook = outlook || strcasecmp(m->cols[i].header, outlook_headers[k]) == 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		map_column(m, &m->cols[i], outlook);
	}
	for (size_t i = 0; i < n; i++) {
		enum role r = m->cols[i].role;
		if (r == R_PHONE || r == R_EMAIL || r == R_PAIR) {
			m->cols[i].pair = find_label(m, i);
		}
	}
	return 0;
}

bool csv_map_usable(const struct csv_map *m) {
	for (size_t i = 0; i < m->n; i++) {
		switch (m->cols[i].role) {
		case R_NAME:
		case R_GIVEN:
		case R_FAMILY:
		case R_FILE_AS:
		case R_COMPANY:
		case R_EMAIL:
		case R_PHONE:
			return true;
		default:
			break;
		}
	}
	return false;
}

void csv_map_finish(struct csv_map *m) {
	for (size_t i = 0; i < m->n; i++) {
		free(m->cols[i].header);
	}
	free(m->cols);
	free(m->groups);
	memset(m, 0, sizeof(*m));
}

static bool empty(const char *s) {
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* Google joins several values of a cell with " ::: ". */
static const char *next_value(const char **p, size_t *n) {
	const char *s = *p;
	while (*s == ' ') {
		s++;
	}
	const char *sep = strstr(s, CSV_VALUE_SEP);
	*n = sep != NULL ? (size_t)(sep - s) : strlen(s);
	*p = sep != NULL ? sep + strlen(CSV_VALUE_SEP) : s + *n;
	return s;
}

static const char *label_of(struct record_builder *b, const char *cell) {
	const char *canonical = record_label_canonical(cell);
	if (canonical != NULL) {
		return canonical;
	}
	while (*cell == '*' || *cell == ' ') {
		cell++; /* "* Shop": Google's mark of the primary one */
	}
	return record_line(b, cell, strlen(cell));
}

static void add_tags(struct record_builder *b, const struct csv_column *c, const char *v, int line) {
	/* Google: " ::: " (and nothing else); Outlook: ";"; people: "," or ";" */
	const char *seps = strcasecmp(c->header, "labels") == 0 ||
					   strcasecmp(c->header, "group membership") == 0 ||
					   strstr(v, CSV_VALUE_SEP) != NULL
				   ? NULL
			   : strcasecmp(c->header, "categories") == 0 ? ";"
								      : ",;";
	const char *p = v;
	while (*p != '\0') {
		size_t n;
		const char *s;
		if (seps == NULL) {
			s = next_value(&p, &n);
		} else {
			s = p;
			n = strcspn(p, seps);
			p += n + (p[n] != '\0');
		}
		while (n > 0 && (*s == '*' || *s == ' ')) {
			s++;
			n--;
		}
		const char *tag = record_line(b, s, n);
		if (tag != NULL && strcasecmp(tag, "myContacts") != 0 &&
		    strcasecmp(tag, "My Contacts") != 0) {
			record_add_tag(b, tag, line);
		}
	}
}

static void add_pair(struct record_builder *b, const struct csv_column *c, const char *label,
		     const char *value, int line) {
	const char *key = c->label;
	if (c->kind != PAIR_FIXED && label != NULL && !empty(label)) {
		char *k = (char *)record_line(b, label, strlen(label));
		if (k != NULL && c->kind == PAIR_LOWER) {
			for (char *q = k; *q != '\0'; q++) {
				*q = (char)tolower((unsigned char)*q);
			}
		}
		key = k != NULL ? k : key;
	}
	record_add_field(b, key, record_text(b, value, strlen(value)), line);
}

static void add_addresses(const struct csv_map *m, const char *const *cells, size_t n,
			  struct record_builder *b) {
	for (size_t g = 0; g < m->n_groups; g++) {
		const char *formatted = NULL;
		const char *part[9] = {0};
		for (size_t i = 0; i < m->n && i < n; i++) {
			const struct csv_column *c = &m->cols[i];
			if (c->role != R_ADDRESS || c->group != (int)g || empty(cells[i])) {
				continue;
			}
			if (c->order == PART_FORMATTED) {
				formatted = cells[i];
			} else if (c->order >= 0 && c->order < 9) {
				part[c->order] = record_line(b, cells[i], strlen(cells[i]));
			}
		}
		if (formatted == NULL) {
			size_t o;
			formatted = record_join(b, part, 9, ", ", &o);
			formatted = formatted != NULL ? formatted : "";
		}
		const struct csv_group *gr = &m->groups[g];
		const char *key = gr->key != NULL ? gr->key : "address";
		if (gr->key == NULL && gr->label_col >= 0 && (size_t)gr->label_col < n) {
			const char *l = record_label_canonical(cells[gr->label_col]);
			key = l == NULL		       ? "address"
			      : strcmp(l, "home") == 0 ? "home address"
			      : strcmp(l, "work") == 0 ? "work address"
						       : "address";
		}
		record_add_field(b, key, record_text(b, formatted, strlen(formatted)), b->line);
	}
}

void csv_map_row(const struct csv_map *m, const char *const *cells, size_t n,
		 struct record_builder *b) {
	int line = b->line;
	const char *name = NULL, *file_as = NULL, *nickname = NULL;
	const char *person[5] = {0}; /* prefix given middle family suffix */
	for (size_t i = 0; i < m->n && i < n; i++) {
		const struct csv_column *c = &m->cols[i];
		const char *v = cells[i];
		if (empty(v)) {
			continue;
		}
		const char *one = NULL;
		if (c->role != R_NOTES && c->role != R_PAIR && c->role != R_FIELD &&
		    c->role != R_ADDRESS) {
			one = record_line(b, v, strlen(v));
		}
		const char *label = c->pair >= 0 && (size_t)c->pair < n ? cells[c->pair] : NULL;
		switch (c->role) {
		case R_NAME:
			name = name != NULL ? name : one;
			break;
		case R_PREFIX:
		case R_GIVEN:
		case R_MIDDLE:
		case R_FAMILY:
		case R_SUFFIX:
			person[c->role - R_PREFIX] = one;
			break;
		case R_FILE_AS:
			file_as = one;
			break;
		case R_NICKNAME:
			nickname = one;
			record_add_field(b, "nickname", one, line);
			break;
		case R_COMPANY:
			if (b->company == NULL) {
				record_set_company(b, one);
			}
			break;
		case R_TITLE:
			record_add_field(b, "title", one, line);
			break;
		case R_DEPARTMENT:
			record_add_field(b, "department", one, line);
			break;
		case R_EMAIL:
		case R_PHONE:
			for (const char *p = v; *p != '\0';) {
				size_t len;
				const char *s = next_value(&p, &len);
				if (c->role == R_EMAIL) {
					record_add_email(b, record_line(b, s, len), line);
					continue;
				}
				const char *l = label != NULL && !empty(label) ? label_of(b, label)
									       : c->label;
				/* one number a line: the lines are not one number */
				for (const char *end = s + len; s < end;) {
					size_t span = strcspn(s, "\r\n");
					span = span < (size_t)(end - s) ? span : (size_t)(end - s);
					const char *item = record_line(b, s, span);
					if (item != NULL) {
						record_add_phone(b, item, l != NULL ? l : "phone",
								 line);
					}
					s += span + (s + span < end);
				}
			}
			break;
		case R_BIRTHDAY:
			record_set_birthday(b, one, line);
			break;
		case R_NOTES:
			record_add_notes_text(b, record_text(b, v, strlen(v)), line);
			break;
		case R_TAGS:
			add_tags(b, c, v, line);
			break;
		case R_PAIR:
			add_pair(b, c, label, v, line);
			break;
		case R_FIELD:
			if (!placeholder(v)) {
				record_add_field(b, c->header, record_text(b, v, strlen(v)), line);
			}
			break;
		case R_ADDRESS:
		case R_LABEL:
		case R_IGNORE:
			break;
		}
	}
	add_addresses(m, cells, n, b);
	if (n > m->n) {
		for (size_t i = m->n; i < n; i++) {
			if (!empty(cells[i])) {
				record_warn(b, line,
					    "%zu cells, the header has %zu; the rest left out", n,
					    m->n);
				break;
			}
		}
	}
	if (name == NULL) {
		size_t o;
		const char *joined = record_join(b, person, 5, " ", &o);
		name = joined != NULL ? record_line(b, joined, o) : NULL;
	}
	record_set_name(b, name != NULL ? name : file_as != NULL ? file_as : nickname);
}
