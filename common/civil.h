#ifndef CTID_CIVIL_H
#define CTID_CIVIL_H

/* Calendar arithmetic on civil (proleptic Gregorian) dates, without time
 * zones: telco stamps, reminders and "yesterday" all need it. */

#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
int64_t civil_days(int64_t year, int month, int day);

bool civil_leap(int64_t year);

#endif
