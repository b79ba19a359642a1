/*
 * libFuzzer target for the contacts parsers: the input goes through the
 * vCard and the CSV parser, and every record they produce is written back
 * with both writers and read again, so the writers see whatever the parsers
 * let through.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "vcard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(const struct contact_record *r, void *data) {
	(void)r;
	(*(int *)data)++;
	return 0;
}

static int write_back(const struct contact_record *r, void *data) {
	(void)data;
	/* Touch every string so the sanitizers see an unterminated one. */
	size_t sum = 0;
	for (size_t i = 0; i < r->n_phones; i++) {
		sum += strlen(r->phones[i].number) +
		       (r->phones[i].label ? strlen(r->phones[i].label) : 0);
	}
	for (size_t i = 0; i < r->n_warnings; i++) {
		sum += strlen(r->warnings[i].message);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) {
		return 0;
	}
	vcard_write(f, r);
	struct csv_shape shape = {0};
	csv_shape_fit(&shape, r);
	csv_write_header(f, &shape);
	csv_write(f, &shape, r);
	fclose(f);
	int n = 0;
	struct record_error err;
	vcard_parse(buf, len, count, &n, &err);
	free(buf);
	return sum == (size_t)-1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	struct record_error err;
	vcard_parse((const char *)data, size, write_back, NULL, &err);
	csv_parse((const char *)data, size, write_back, NULL, &err);
	return 0;
}
