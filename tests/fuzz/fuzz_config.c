/*
 * libFuzzer target for the configuration parser: any bytes as ctid.conf,
 * including NULs, overlong lines, unterminated sections and quotes. Errors
 * are reported by file and line; nothing may crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	log_set_level(LOG_SILENT);
	if (size == 0) {
		return 0;
	}
	FILE *f = fmemopen((void *)data, size, "r");
	if (f == NULL) {
		return 0;
	}
	struct config c;
	config_init(&c);
	config_read(&c, f, "fuzz.conf");
	fclose(f);
	config_finish(&c);
	return 0;
}
