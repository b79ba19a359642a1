#include <stddef.h>

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
