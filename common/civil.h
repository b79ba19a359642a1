#ifndef CTID_CIVIL_H
#define CTID_CIVIL_H

/* Calendar arithmetic on civil (proleptic Gregorian) dates, without time
 * zones: telco stamps, reminders, birthdays and "yesterday" all need it. */

#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
int64_t civil_days(int64_t year, int month, int day);

bool civil_leap(int64_t year);

/* Whether month and day make a day of some year (29 February does). */
bool civil_month_day_valid(int month, int day);
/* Whether the date exists (29 February only in leap years). */
bool civil_date_valid(int64_t year, int month, int day);

/* Today's local date (the one place that reads the clock for it). */
void civil_today(int *year, int *month, int *day);

#endif
