#ifndef CTID_BENCH_DATA_H
#define CTID_BENCH_DATA_H

/*
 * The benchmark's synthetic contacts, derived from the contact's index alone
 * (no state, no I/O), so the generator that fills a database and the
 * programs that measure it agree on every name and number without reading
 * one back. Contact i (from 0) gets id i + 1 when inserted in order.
 *
 * Numbers (region GB) are unique by construction and keep the suffix
 * matcher honest:
 *   - the mobile of i is 07xx and a 7-digit tail below 2000000, a bijection
 *     of i (so at most 2,000,000 contacts);
 *   - the landline of i (GB area or, for one contact in ten, abroad) ends in
 *     a 7-digit local number from 2000000 up, another bijection of i, so a
 *     local number without its area code matches exactly one contact;
 *   - indexes from the size of the database up give numbers nobody has.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bump when anything below changes what a database contains. */
#define BENCH_DATA_VERSION 2
#define BENCH_MAX_CONTACTS 1500000 /* misses and strangers use the indexes up to 2000000 */

struct bench_person {
	char name[128];
	char company[128]; /* "" for none */
	char email[128];   /* "" for none */
	char birthday[40]; /* "YYYY-MM-DD", "--MM-DD" or "" (room for any int) */
	const char *locale;
};

/* A hash of (a, b): the randomness of everything here. */
uint64_t bench_hash(uint64_t a, uint64_t b);

void bench_person(int64_t i, struct bench_person *p);

/* The mobile of contact i as the telco sends it: "07734012345". */
void bench_mobile(int64_t i, char *out, size_t size);
/* The landline of contact i as the telco sends it: national digits for GB
 * ("01614960123"), "+" and digits from abroad ("+74952000000"). */
void bench_landline(int64_t i, char *out, size_t size);
/* The landline's last 7 digits: what arrives when the telco drops the
 * area code. */
void bench_local(int64_t i, char *out, size_t size);
/* Whether the landline of i is abroad. */
bool bench_landline_abroad(int64_t i);
/* A number as a person typed it into the address book ("+44 161 496 0123",
 * "0161-496-0123" ...), from one as the telco sends it. */
void bench_typed(int64_t i, const char *number, char *out, size_t size);

/* The text of note k of contact i, and of its open requests and orders. */
void bench_note(int64_t i, int k, char *out, size_t size);
void bench_request(int64_t i, int k, char *out, size_t size);
void bench_order(int64_t i, int k, char *out, size_t size);

/* Search queries of a kind: "name" (a name prefix), "company" (a company
 * word), "note" (a word of a note), "number" (3-5 digits of a number). */
const char *bench_query(const char *kind, int k, char *buf, size_t size);

#endif
