#ifndef CTID_PORTS_H
#define CTID_PORTS_H

/*
 * Serial ports on this machine (libserialport), with what is known about
 * the modem model behind the USB ones. Used by ctid --list-ports.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct ports_model {
	int vid, pid;	   /* pid -1: any product of the vendor */
	const char *name;  /* "USRobotics 5637" */
	bool gsm;	   /* a GSM/3G dongle: caller ID via +CLIP */
	const char *notes; /* what to expect, or NULL */
};

struct ports_entry {
	char name[64];	    /* /dev/ttyACM0 */
	char transport[16]; /* "usb", "native", "bluetooth" */
	int vid, pid;	    /* -1 when not USB */
	char manufacturer[64];
	char product[64];
	char description[128];
	char serial[64];
	const struct ports_model *model; /* NULL when unknown */
};

/*
 * Fills at most max entries, sorted by name. Returns the number of ports
 * found (which may be more than max), or a negative errno (logged).
 */
ssize_t ports_list(struct ports_entry *entries, size_t max);

/* The known model for a USB vendor:product, or NULL. */
const struct ports_model *ports_lookup_model(int vid, int pid);

/* Prints entries as a table with a header line; "No serial ports found."
 * when n is 0. */
void ports_print(FILE *f, const struct ports_entry *entries, size_t n);

#endif
