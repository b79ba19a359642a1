#ifndef CTID_VCARD_H
#define CTID_VCARD_H

/*
 * vCard 2.1, 3.0 and 4.0 (RFC 2426, RFC 6350 and the 2.1 specification) as
 * address books really write them: Google, Apple (iCloud, macOS, iOS),
 * Thunderbird, Evolution, Android and Outlook. Pure: bytes in, records out.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "record.h"

/*
 * Calls fn for each card of data[0..len) (any bytes; a UTF-8 or UTF-16 byte
 * order mark is fine). Returns 0; fn's non-zero return; -EBADMSG for a file
 * that is not a well-formed sequence of cards, with err saying where and
 * why (records before that line have been passed to fn); or -ENOMEM.
 * Things inside a card that cannot be used become the record's warnings.
 */
int vcard_parse(const char *data, size_t len, record_fn fn, void *userdata, struct record_error *err);

/* Whether data looks like vCards: BEGIN:VCARD before anything else. */
bool vcard_detect(const char *data, size_t len);

/*
 * Writes r as a vCard 3.0 (CRLF, folded at 75 bytes, UTF-8): what Google,
 * Apple and Outlook import best. Fields ctid has no vCard property for
 * become X-CTID-FIELD:key;value, notes one NOTE in record_notes_write()'s
 * form. Returns 0 or -errno.
 */
int vcard_write(FILE *f, const struct contact_record *r);

#endif
