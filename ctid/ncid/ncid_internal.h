#ifndef CTID_NCID_NCID_INTERNAL_H
#define CTID_NCID_NCID_INTERNAL_H

/* What ncid.c and jobs.c share (not for the library's users). */

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

/*
 * Appends s[0..len) as text that cannot end a line early: CR, LF and the
 * other control characters (C1 too) and the bidirectional controls
 * become spaces, so does "*" unless keep_star (a
 * field's text, which a "*" would end), and each byte that is no part of
 * a character becomes U+FFFD (a database another program wrote, a
 * client's line; clients read UTF-8).
 */
void ncid_append_clean(GString *out, const char *s, size_t len, bool keep_star);

#endif
