#include <stddef.h>
#include <string.h>
#include <time.h>

#include "call_event.h"

const char *call_state_str(enum call_state s) {
	switch (s) {
	case CALL_STATE_RINGING:
		return "ringing";
	case CALL_STATE_ANSWERED:
		return "answered";
	case CALL_STATE_MISSED:
		return "missed";
	case CALL_STATE_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *call_withheld_str(enum call_withheld w) {
	switch (w) {
	case CALL_WITHHELD_PRIVATE:
		return "private";
	case CALL_WITHHELD_UNAVAILABLE:
		return "unavailable";
	case CALL_WITHHELD_NONE:
		break;
	}
	return NULL;
}

void call_info_local_stamp(struct call_info *c, int64_t now_ms) {
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	if (localtime_r(&t, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
	}
	c->year = tm.tm_year + 1900;
	c->month = tm.tm_mon + 1;
	c->day = tm.tm_mday;
	c->hour = tm.tm_hour;
	c->minute = tm.tm_min;
	c->has_date = c->has_time = false;
}
