/* Requests and orders, as lists to call from (see requests.h). */
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "output.h"
#include "requests.h"

int requests_take(const struct db_note *n, void *data) {
	struct request_items *l = data;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct request_item *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			l->oom = true;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	struct request_item *it = &l->v[l->n];
	*it = (struct request_item){
		.id = n->id,
		.contact_id = n->contact_id,
		.contact_name = strdup(n->contact_name != NULL ? n->contact_name : ""),
		.text = strdup(n->text != NULL ? n->text : ""),
		.kind = n->kind,
		.open = n->open,
		.created = n->created,
		.closed = n->closed,
		.author = n->author != NULL ? strdup(n->author) : NULL,
		.closed_by = n->closed_by != NULL ? strdup(n->closed_by) : NULL,
	};
	l->n++;
	if (it->contact_name == NULL || it->text == NULL) {
		l->oom = true;
		return 1;
	}
	return 0;
}

void requests_finish(struct request_items *l) {
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].contact_name);
		free(l->v[i].text);
		free(l->v[i].author);
		free(l->v[i].closed_by);
	}
	free(l->v);
}

static int requests_by_asked(const void *a, const void *b) {
	const struct request_item *x = a, *y = b;
	if (x->created != y->created) {
		return x->created < y->created ? -1 : 1;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

struct company {
	char *name;
};

static int take_company(const struct db_contact *c, void *data) {
	struct company *co = data;
	co->name = c->company != NULL ? strdup(c->company) : NULL;
	return 0;
}

void requests_sort_asked(struct request_items *l) {
	if (l->n > 0) {
		qsort(l->v, l->n, sizeof(*l->v), requests_by_asked);
	}
}

/* One client of the call list: their requests are l->v[first..] with the
 * same contact, in the order asked. */
void requests_write_arrived(struct json_writer *w, struct db *db, const struct request_items *l,
			    size_t first, bool closed, const char *region) {
	const struct request_item *head = &l->v[first];
	char t[40];
	struct company co = {0};
	db_contact_get(db, head->contact_id, take_company, &co);
	json_object_begin(w);
	json_key(w, "contact");
	jsonout_contact(w, head->contact_id, head->contact_name);
	json_key(w, "company");
	json_string(w, co.name);
	json_key(w, "phones");
	jsonout_phones(w, db, head->contact_id, region);
	json_key(w, "requests");
	json_array_begin(w);
	for (size_t i = first; i < l->n; i++) {
		const struct request_item *it = &l->v[i];
		if (it->contact_id != head->contact_id) {
			continue;
		}
		output_iso_time(it->created, t, sizeof(t));
		json_object_begin(w);
		json_key(w, "id");
		json_int(w, it->id);
		json_key(w, "text");
		json_string(w, it->text);
		json_key(w, "created");
		json_string(w, t);
		json_object_end(w);
	}
	json_array_end(w);
	output_iso_time(head->created, t, sizeof(t));
	json_key(w, "first_asked");
	json_string(w, t);
	json_key(w, "closed");
	json_bool(w, closed);
	json_object_end(w);
	free(co.name);
}
