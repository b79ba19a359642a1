#ifndef CTID_CSV_MAP_H
#define CTID_CSV_MAP_H

/* What each column of a contacts CSV means, from its header (csv.c's helper). */

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

struct csv_column;
struct csv_group;

struct csv_map {
	struct csv_column *cols;
	size_t n;
	struct csv_group *groups; /* addresses, in parts or formatted */
	size_t n_groups;
};

/* Reads the header; returns 0 or -ENOMEM. */
int csv_map_init(struct csv_map *m, const char *const *headers, size_t n);
/* Whether any column holds a name, number, e-mail address or company. */
bool csv_map_usable(const struct csv_map *m);
/* Puts one row's cells into the builder (already reset for it). */
void csv_map_row(const struct csv_map *m, const char *const *cells, size_t n,
		 struct record_builder *b);
void csv_map_finish(struct csv_map *m);

#endif
