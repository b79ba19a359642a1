/* What a record of an import adds to a contact: a new one, or what an
 * existing one lacks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db_private.h"
#include "import_private.h"
#include "log.h"
#include "phone.h"
#include "utf8.h"

struct existing {
	char *name, *company, *email, *birthday;
	struct record_field fields[RECORD_MAX_FIELDS * 2];
	size_t n_fields;
};

static int take_existing(const struct db_contact *c, void *data) {
	struct existing *e = data;
	e->name = c->name != NULL ? strdup(c->name) : NULL;
	e->company = c->company != NULL ? strdup(c->company) : NULL;
	e->email = c->email != NULL ? strdup(c->email) : NULL;
	e->birthday = c->birthday != NULL ? strdup(c->birthday) : NULL;
	return 0;
}

static int take_field(const char *key, const char *value, void *data) {
	struct existing *e = data;
	if (e->n_fields < sizeof(e->fields) / sizeof(e->fields[0])) {
		e->fields[e->n_fields].key = strdup(key);
		e->fields[e->n_fields].value = strdup(value);
		e->n_fields++;
	}
	return 0;
}

static void existing_free(struct existing *e) {
	free(e->name);
	free(e->company);
	free(e->email);
	free(e->birthday);
	for (size_t i = 0; i < e->n_fields; i++) {
		free((char *)e->fields[i].key);
		free((char *)e->fields[i].value);
	}
}

static const char *existing_field(const struct existing *e, const char *key) {
	for (size_t i = 0; i < e->n_fields; i++) {
		if (e->fields[i].key != NULL && strcmp(e->fields[i].key, key) == 0) {
			return e->fields[i].value;
		}
	}
	return NULL;
}

/* Adds the notes the contact does not have yet; *changed when any was. */
static int add_notes(struct importer *im, int64_t id, const struct contact_record *r, bool *changed) {
	for (size_t i = 0; i < r->n_notes; i++) {
		const struct record_note *n = &r->notes[i];
		const char *kind = db_note_kind_str((enum db_note_kind)n->kind);
		sqlite3_stmt *s = import_query(im, Q_NOTE_EXISTS);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, n->text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, n->created);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_ROW) {
			continue;
		}
		if (rc != SQLITE_DONE) {
			return db_errno(rc);
		}
		s = import_query(im, Q_NOTE_INSERT);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, n->text, -1, SQLITE_STATIC);
		if (n->kind != RECORD_NOTE) {
			sqlite3_bind_text(s, 4, n->open ? "open" : "closed", -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(s, 5, n->created > 0 ? n->created : im->now);
		if (n->kind != RECORD_NOTE && !n->open) {
			sqlite3_bind_int64(s, 6, n->closed > 0 ? n->closed : im->now);
		}
		int ret = import_step_done(im, s);
		if (ret < 0) {
			return ret;
		}
		*changed = true;
	}
	return 0;
}

static int add_phones(struct importer *im, int64_t id, const struct contact_record *r,
		      const struct import_numbers *nums, bool *changed) {
	for (size_t i = 0; i < r->n_phones; i++) {
		if (!nums->usable[i]) {
			continue;
		}
		const char *label = r->phones[i].label != NULL ? r->phones[i].label : "phone";
		int ret = db_phone_add(im->db, id, r->phones[i].number, label, NULL);
		if (ret == 0) {
			*changed = true;
			if (nums->shared[i] != 0 && nums->shared[i] != id) {
				import_note(im->rep, false, r->phones[i].line, id,
					    "%.40s is also a number of contact #%lld",
					    r->phones[i].number, (long long)nums->shared[i]);
			}
		} else if (ret != -EEXIST && ret != -EINVAL) {
			return ret;
		}
	}
	return 0;
}

/* E-mail addresses after the one the contact has go to fields "email 2" ... */
static int add_emails(struct importer *im, int64_t id, const struct contact_record *r,
		      const char *email, struct existing *e, bool *changed) {
	int next = 2;
	for (size_t i = 0; i < r->n_emails; i++) {
		const char *addr = r->emails[i];
		if (email != NULL && strcasecmp(addr, email) == 0) {
			continue;
		}
		bool known = false;
		for (size_t k = 0; k < e->n_fields && !known; k++) {
			known = strncmp(e->fields[k].key, "email ", 6) == 0 &&
				strcasecmp(e->fields[k].value, addr) == 0;
		}
		if (known) {
			continue;
		}
		char key[32];
		do {
			snprintf(key, sizeof(key), "email %d", next++);
		} while (existing_field(e, key) != NULL);
		int ret = db_field_set(im->db, id, key, addr);
		if (ret < 0) {
			return ret;
		}
		take_field(key, addr, e);
		*changed = true;
	}
	return 0;
}

static int add_rest(struct importer *im, int64_t id, const struct contact_record *r,
		    struct existing *e, bool *changed) {
	for (size_t i = 0; i < r->n_fields; i++) {
		const struct record_field *f = &r->fields[i];
		const char *have = existing_field(e, f->key);
		if (have != NULL && strcmp(have, f->value) == 0) {
			continue;
		}
		if (have != NULL) {
			import_note(im->rep, false, r->line, id,
				    "kept %s '%.60s' (the file says '%.60s')", f->key, have,
				    f->value);
			continue;
		}
		int ret = db_field_set(im->db, id, f->key, f->value);
		if (ret < 0) {
			return ret;
		}
		*changed = true;
	}
	for (size_t i = 0; i < r->n_tags; i++) {
		int before = sqlite3_total_changes(im->db->sql);
		int ret = db_tag_add(im->db, id, r->tags[i]);
		if (ret < 0) {
			return ret;
		}
		*changed = *changed || sqlite3_total_changes(im->db->sql) != before;
	}
	return add_notes(im, id, r, changed);
}

int import_merge(struct importer *im, int64_t id, const struct contact_record *r,
		 const struct import_numbers *nums) {
	struct existing e = {0};
	int ret = db_contact_get(im->db, id, take_existing, &e);
	if (ret == 0) {
		ret = db_field_foreach(im->db, id, take_field, &e);
	}
	bool changed = false;
	struct db_contact upd = {.id = id};
	const char *email = r->n_emails > 0 ? r->emails[0] : NULL;
	struct {
		const char *what, *have, *file;
		const char **set;
	} scalars[] = {
		{"company", e.company, r->company, &upd.company},
		{"email", e.email, email, &upd.email},
		{"birthday", e.birthday, r->birthday, &upd.birthday},
	};
	for (size_t i = 0; ret == 0 && i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		if (scalars[i].file == NULL) {
			continue;
		}
		if (scalars[i].have == NULL) {
			*scalars[i].set = scalars[i].file;
		} else if (strcasecmp(scalars[i].have, scalars[i].file) != 0) {
			import_note(im->rep, false, r->line, id,
				    i == 1 ? "kept %s '%.60s'; the file's '%.60s' is added as another"
					   : "kept %s '%.60s' (the file says '%.60s')",
				    scalars[i].what, scalars[i].have, scalars[i].file);
		}
	}
	if (ret == 0 && e.name != NULL && r->name != NULL && strcasecmp(e.name, r->name) != 0) {
		import_note(im->rep, false, r->line, id,
			    "kept name '%.60s' (the file says '%.60s')", e.name, r->name);
	}
	if (ret == 0 && (upd.company != NULL || upd.email != NULL || upd.birthday != NULL)) {
		ret = db_contact_update(im->db, &upd);
		changed = true;
	}
	if (ret == 0) {
		ret = add_phones(im, id, r, nums, &changed);
	}
	if (ret == 0) {
		ret = add_emails(im, id, r, e.email != NULL ? e.email : email, &e, &changed);
	}
	if (ret == 0) {
		ret = add_rest(im, id, r, &e, &changed);
	}
	existing_free(&e);
	if (ret == 0) {
		im->rep->merged++;
		im->rep->unchanged += !changed;
	}
	return ret;
}

int import_add(struct importer *im, const char *name, const struct contact_record *r,
	       const struct import_numbers *nums) {
	struct db_contact c = {
		.name = name,
		.company = r->company,
		.email = r->n_emails > 0 ? r->emails[0] : NULL,
		.birthday = r->birthday,
	};
	int64_t id;
	int ret = db_contact_add(im->db, &c, &id);
	if (ret < 0) {
		return ret;
	}
	bool changed = false;
	struct existing e = {0};
	ret = add_phones(im, id, r, nums, &changed);
	if (ret == 0) {
		ret = add_emails(im, id, r, c.email, &e, &changed);
	}
	if (ret == 0) {
		ret = add_rest(im, id, r, &e, &changed);
	}
	existing_free(&e);
	im->rep->added += ret == 0;
	return ret;
}
