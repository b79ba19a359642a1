/*
 * libFuzzer target for the SDMF/MDMF decoder: the raw message bytes as the
 * FSK decoder delivered them, and the same bytes printed as hex the way
 * modems print them with AT+VCID=2 or inside a MESG line. Any length, any
 * checksum, any parameter lengths: an error, never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cid.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(const struct cid_event *ev, void *data) {
	uint64_t *sum = data;
	*sum += strlen(ev->number) + strlen(ev->name) + strlen(ev->text) + (uint64_t)ev->type +
		(uint64_t)ev->withheld + (uint64_t)(ev->month + ev->day + ev->hour + ev->minute);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	log_set_level(LOG_SILENT);
	uint64_t sum = 0;
	cid_decode_mdmf(data, size, on_event, &sum);
	if (size > 200) {
		return 0;
	}
	char line[8 + 2 * 200 + 1];
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	if (size > 0 && (data[0] & 1)) {
		memcpy(line, "MESG = ", 7);
		n = 7;
	}
	for (size_t i = 0; i < size; i++) {
		line[n++] = hex[data[i] >> 4];
		line[n++] = hex[data[i] & 15];
	}
	line[n] = '\0';
	cid_parse_line(line, n, on_event, &sum);
	return 0;
}
