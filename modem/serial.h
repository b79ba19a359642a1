#ifndef CTID_SERIAL_H
#define CTID_SERIAL_H

/*
 * A serial port opened for the caller's poll loop: libserialport for real
 * ports, plain open() and termios for what it refuses (pseudo-terminals from
 * socat, ser2net or the simulator). Always non-blocking, raw, 8N1, DTR on.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum serial_flow {
	SERIAL_FLOW_NONE = 0,
	SERIAL_FLOW_RTSCTS,
	SERIAL_FLOW_XONXOFF,
};

struct serial_options {
	int baud;	       /* 0: 115200 */
	enum serial_flow flow; /* default none */
};

struct serial;

/*
 * Opens and configures path. Returns the port, to be closed with
 * serial_close(), or NULL with errno set; the failure is logged with the
 * path and a hint (EACCES: group dialout or udev uaccess; EBUSY: in use).
 */
struct serial *serial_open(const char *path, const struct serial_options *opts);

/* Closes the port and frees. NULL is a no-op. */
void serial_close(struct serial *s);

/* The file descriptor to poll; owned by the port. */
int serial_get_fd(const struct serial *s);

const char *serial_get_path(const struct serial *s);

/* Whether libserialport opened it (false: the termios fallback). */
bool serial_is_native(const struct serial *s);

/*
 * Reads what is there without blocking. Returns the number of bytes (> 0),
 * -EAGAIN when nothing is waiting, -ENODEV when the device is gone (EIO,
 * end of file, hang-up), or another negative errno.
 */
ssize_t serial_read(struct serial *s, void *buf, size_t len);

/*
 * Writes what fits without blocking. Returns the number of bytes written
 * (maybe fewer than len), -EAGAIN when none fit, -ENODEV when the device is
 * gone, or another negative errno.
 */
ssize_t serial_write(struct serial *s, const void *buf, size_t len);

/* Parses "none", "rtscts" (or "hardware"), "xonxoff" (or "software").
 * Returns 0 or -EINVAL. */
int serial_flow_from_str(const char *str, enum serial_flow *flow);
const char *serial_flow_str(enum serial_flow flow);

/* A hint for an errno from opening a port ("is the user in group dialout?"),
 * or "" when there is none. */
const char *serial_error_hint(int err);

#endif
