/*
 * The database as vCard or CSV: each contact is turned into a record (the
 * form the parsers produce) and handed to the writer, so what is written is
 * what an import reads back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "import.h"
#include "log.h"
#include "vcard.h"

/* What of one contact the file could not hold, by kind. */
enum loss_kind {
	LOSS_PHONE,
	LOSS_EMAIL,
	LOSS_FIELD,
	LOSS_TAG,
	LOSS_NOTE,
	LOSS_KINDS,
};

static const char *const loss_names[LOSS_KINDS][2] = {
	{"phone number", "phone numbers"},
	{"e-mail address", "e-mail addresses"},
	{"field", "fields"},
	{"tag", "tags"},
	{"note", "notes"},
};

struct losses {
	int count[LOSS_KINDS];
	char why[LOSS_KINDS][320]; /* the first reason of each kind (all of it) */
};

struct exporter {
	struct db *db;
	enum export_format format;
	FILE *out;
	struct record_builder b;
	struct csv_shape shape;
	bool measuring; /* CSV: the first pass finds how many columns */
	int count;
	int error;
	struct losses lost; /* of the contact being written */
	int lossy;	    /* contacts written with something left out */
};

/* After adding one item: when the record refused it, it is left out of the
 * file, and the export says so (the record's limits are an import's). */
static void check_refused(struct exporter *ex, enum loss_kind kind, const char *item) {
	struct record_builder *b = &ex->b;
	if (b->refused[0] == '\0') {
		return; /* (refused_line stays 0: the export's record has no line) */
	}
	struct losses *l = &ex->lost;
	if (l->count[kind]++ == 0) {
		snprintf(l->why[kind], sizeof(l->why[kind]), "%s%.40s%s%s%s", item ? "'" : "",
			 item ? item : "", item && strlen(item) > 40 ? "..." : "",
			 item ? "': " : "", b->refused);
	}
	b->refused[0] = '\0';
	b->refused_line = 0;
}

/* CSV joins tags with " ::: ": a tag holding ":::" would read back as several. */
static void check_csv_tag(struct exporter *ex, const char *tag) {
	struct losses *l = &ex->lost;
	if (ex->format == EXPORT_CSV && strstr(tag, CSV_VALUE_SEP) != NULL &&
	    l->count[LOSS_TAG]++ == 0) {
		snprintf(l->why[LOSS_TAG], sizeof(l->why[LOSS_TAG]),
			 "'%.40s' holds '" CSV_VALUE_SEP "', which separates tags in CSV, and would "
			 "read back as several tags (use vCard)",
			 tag);
	}
}

/* Logs what of contact c was left out; true when anything was. */
static bool report_losses(struct exporter *ex, const struct db_contact *c) {
	bool any = false;
	for (int k = 0; k < LOSS_KINDS; k++) {
		int n = ex->lost.count[k];
		if (n > 0) {
			log_warn("Export: contact #%" PRId64 " %s: %d %s left out: %s", c->id,
				 c->name != NULL ? c->name : "", n, loss_names[k][n > 1],
				 ex->lost.why[k]);
			any = true;
		}
	}
	return any;
}

static char *copy(struct exporter *ex, const char *s) {
	return s != NULL ? record_strndup(&ex->b, s, strlen(s)) : NULL;
}

static int take_phone(const struct db_phone *p, void *data) {
	struct exporter *ex = data;
	record_add_phone(&ex->b, copy(ex, p->raw), copy(ex, p->label), 0);
	check_refused(ex, LOSS_PHONE, p->raw);
	return 0;
}

static bool is_email_field(const char *key) {
	if (strncmp(key, "email ", 6) != 0 || key[6] < '2' || key[6] > '9') {
		return false;
	}
	return strspn(key + 6, "0123456789") == strlen(key + 6);
}

static int take_field(const char *key, const char *value, void *data) {
	struct exporter *ex = data;
	if (is_email_field(key)) {
		record_add_email(&ex->b, copy(ex, value), 0);
		check_refused(ex, LOSS_EMAIL, value);
	} else {
		record_add_field(&ex->b, copy(ex, key), copy(ex, value), 0);
		check_refused(ex, LOSS_FIELD, key);
	}
	return 0;
}

static int take_tag(const char *tag, const char *value, void *data) {
	(void)value;
	struct exporter *ex = data;
	record_add_tag(&ex->b, copy(ex, tag), 0);
	check_refused(ex, LOSS_TAG, tag);
	check_csv_tag(ex, tag);
	return 0;
}

/* Notes come newest first; the record wants them oldest first. */
struct note_list {
	struct exporter *ex;
	struct record_note *notes;
	size_t n, cap;
	bool failed;
};

static int take_note(const struct db_note *n, void *data) {
	struct note_list *l = data;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct record_note *p = realloc(l->notes, cap * sizeof(*p));
		if (p == NULL) {
			l->failed = true;
			return -ENOMEM;
		}
		l->notes = p;
		l->cap = cap;
	}
	l->notes[l->n++] = (struct record_note){
		.kind = (enum record_note_kind)n->kind,
		.text = copy(l->ex, n->text),
		.open = n->open,
		.created = n->created,
		.closed = n->closed,
	};
	return 0;
}

static int export_one(const struct db_contact *c, void *data) {
	struct exporter *ex = data;
	struct record_builder *b = &ex->b;
	record_builder_reset(b, 0);
	memset(&ex->lost, 0, sizeof(ex->lost));
	record_set_name(b, copy(ex, c->name));
	record_set_company(b, copy(ex, c->company));
	b->birthday = copy(ex, c->birthday);
	record_add_email(b, copy(ex, c->email), 0);
	int ret = db_phone_foreach(ex->db, c->id, take_phone, ex);
	if (ret == 0) {
		ret = db_field_foreach(ex->db, c->id, take_field, ex);
	}
	if (ret == 0) {
		ret = db_tag_foreach(ex->db, c->id, take_tag, ex);
	}
	struct note_list notes = {.ex = ex};
	if (ret == 0) {
		struct db_note_filter f = {.contact_id = c->id};
		ret = db_note_foreach(ex->db, &f, take_note, &notes);
	}
	for (size_t i = notes.n; ret == 0 && i > 0; i--) {
		record_add_note(b, &notes.notes[i - 1], 0);
		check_refused(ex, LOSS_NOTE, NULL);
	}
	free(notes.notes);
	if (ret == 0 && b->failed) {
		ret = -ENOMEM;
	}
	if (ret < 0) {
		ex->error = ret;
		return ret;
	}
	struct contact_record r;
	record_builder_get(b, &r);
	if (ex->measuring) {
		csv_shape_fit(&ex->shape, &r);
		return 0;
	}
	errno = 0;
	ret = ex->format == EXPORT_CSV ? csv_write(ex->out, &ex->shape, &r)
				       : vcard_write(ex->out, &r);
	if (ret == -EIO && errno != 0) {
		ret = -errno; /* the write's own reason: "No space left on device" */
	}
	if (ret < 0) {
		ex->error = ret;
		return ret;
	}
	ex->count++;
	ex->lossy += report_losses(ex, c);
	return 0;
}

int db_export(struct db *db, enum export_format format, FILE *out, int *count) {
	struct exporter ex = {.db = db, .format = format, .out = out};
	record_builder_init(&ex.b);
	int ret = 0;
	if (format == EXPORT_CSV) {
		ex.measuring = true;
		ret = db_contact_foreach(db, NULL, export_one, &ex);
		ex.measuring = false;
		if (ret == 0) {
			ret = csv_write_header(out, &ex.shape);
		}
	}
	if (ret == 0) {
		ret = db_contact_foreach(db, NULL, export_one, &ex);
	}
	record_builder_finish(&ex.b);
	if (ret == 0 && fflush(out) != 0) {
		ret = -errno;
	}
	if (count != NULL) {
		*count = ex.count;
	}
	return ret < 0 ? ret : ex.lossy;
}
