#include <time.h>

#include "civil.h"

int64_t civil_days(int64_t y, int m, int d) {
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool civil_leap(int64_t y) {
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool civil_month_day_valid(int month, int day) {
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return month >= 1 && month <= 12 && day >= 1 && day <= mdays[month - 1];
}

bool civil_date_valid(int64_t year, int month, int day) {
	return civil_month_day_valid(month, day) && (month != 2 || day != 29 || civil_leap(year));
}

void civil_today(int *year, int *month, int *day) {
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	*year = tm.tm_year + 1900;
	*month = tm.tm_mon + 1;
	*day = tm.tm_mday;
}
