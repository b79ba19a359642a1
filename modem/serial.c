#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "serial.h"

#define DEFAULT_BAUD 115200

struct serial {
	char *path;
	struct sp_port *port; /* NULL for the termios fallback */
	int fd;
};

const char *serial_error_hint(int err) {
	switch (err) {
	case EACCES:
	case EPERM:
		return " (is the user in group dialout, or is there a udev uaccess rule?)";
	case EBUSY:
		return " (in use by another program: ModemManager, mgetty, minicom?)";
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return " (is the modem plugged in?)";
	case ENOTTY:
		return " (not a serial port)";
	default:
		return "";
	}
}

int serial_flow_from_str(const char *str, enum serial_flow *flow) {
	if (str == NULL || strcasecmp(str, "none") == 0 || str[0] == '\0') {
		*flow = SERIAL_FLOW_NONE;
	} else if (strcasecmp(str, "rtscts") == 0 || strcasecmp(str, "hardware") == 0) {
		*flow = SERIAL_FLOW_RTSCTS;
	} else if (strcasecmp(str, "xonxoff") == 0 || strcasecmp(str, "software") == 0) {
		*flow = SERIAL_FLOW_XONXOFF;
	} else {
		return -EINVAL;
	}
	return 0;
}

const char *serial_flow_str(enum serial_flow flow) {
	switch (flow) {
	case SERIAL_FLOW_NONE:
		return "none";
	case SERIAL_FLOW_RTSCTS:
		return "rtscts";
	case SERIAL_FLOW_XONXOFF:
		return "xonxoff";
	}
	return "none";
}

static speed_t baud_to_speed(int baud) {
	switch (baud) {
	case 1200:
		return B1200;
	case 2400:
		return B2400;
	case 4800:
		return B4800;
	case 9600:
		return B9600;
	case 19200:
		return B19200;
	case 38400:
		return B38400;
	case 57600:
		return B57600;
	case 115200:
		return B115200;
	case 230400:
		return B230400;
	case 460800:
		return B460800;
	case 921600:
		return B921600;
	default:
		return 0;
	}
}

static int set_nonblocking(int fd) {
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		return -errno;
	}
	return 0;
}

/* Keeps other non-root programs from opening the port behind our back. */
static void set_exclusive(int fd) {
	(void)ioctl(fd, TIOCEXCL);
}

static int sp_errno(void) {
	int err = sp_last_error_code();
	return err > 0 ? err : EIO;
}

/* libserialport: the normal path for real ports. Returns 0, or -errno
 * when libserialport cannot handle the path (the caller falls back). */
static int open_native(struct serial *s, const struct serial_options *opts, int *fatal) {
	struct sp_port *port = NULL;
	*fatal = 0;
	if (sp_get_port_by_name(s->path, &port) != SP_OK) {
		return -sp_errno();
	}
	if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
		int err = sp_errno();
		sp_free_port(port);
		/* Permission and busy errors are the port's, not libserialport's. */
		if (err == EACCES || err == EPERM || err == EBUSY || err == ENOENT ||
		    err == ENODEV || err == ENXIO) {
			*fatal = err;
		}
		return -err;
	}
	enum sp_flowcontrol fc = SP_FLOWCONTROL_NONE;
	if (opts->flow == SERIAL_FLOW_RTSCTS) {
		fc = SP_FLOWCONTROL_RTSCTS;
	} else if (opts->flow == SERIAL_FLOW_XONXOFF) {
		fc = SP_FLOWCONTROL_XONXOFF;
	}
	int fd = -1;
	if (sp_set_baudrate(port, opts->baud) != SP_OK || sp_set_bits(port, 8) != SP_OK ||
	    sp_set_parity(port, SP_PARITY_NONE) != SP_OK || sp_set_stopbits(port, 1) != SP_OK ||
	    sp_set_flowcontrol(port, fc) != SP_OK || sp_get_port_handle(port, &fd) != SP_OK ||
	    fd < 0) {
		int err = sp_errno();
		sp_close(port);
		sp_free_port(port);
		return -err;
	}
	/* DTR on: many modems hang up and ignore commands while it is off. With
	 * RTS/CTS flow control libserialport drives RTS itself. */
	if (sp_set_dtr(port, SP_DTR_ON) != SP_OK) {
		log_debug("Could not raise DTR on %s", s->path);
	}
	if (set_nonblocking(fd) < 0) {
		int err = errno;
		sp_close(port);
		sp_free_port(port);
		return -err;
	}
	set_exclusive(fd);
	s->port = port;
	s->fd = fd;
	return 0;
}

/* Plain open() and termios raw mode with the same settings. */
static int open_termios(struct serial *s, const struct serial_options *opts) {
	int fd = open(s->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	struct termios tio;
	if (tcgetattr(fd, &tio) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS);
	tio.c_iflag &= ~(IXON | IXOFF | IXANY);
	if (opts->flow == SERIAL_FLOW_RTSCTS) {
		tio.c_cflag |= CRTSCTS;
	} else if (opts->flow == SERIAL_FLOW_XONXOFF) {
		tio.c_iflag |= IXON | IXOFF;
	}
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	speed_t speed = baud_to_speed(opts->baud);
	if (speed == 0 || cfsetispeed(&tio, speed) < 0 || cfsetospeed(&tio, speed) < 0) {
		close(fd);
		return -EINVAL;
	}
	if (tcsetattr(fd, TCSANOW, &tio) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	int bits = TIOCM_DTR;
	(void)ioctl(fd, TIOCMBIS, &bits); /* a pty has no modem lines */
	set_exclusive(fd);
	s->fd = fd;
	return 0;
}

struct serial *serial_open(const char *path, const struct serial_options *opts) {
	if (path == NULL || path[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	struct serial_options o = {.baud = DEFAULT_BAUD};
	if (opts != NULL) {
		o = *opts;
		if (o.baud == 0) {
			o.baud = DEFAULT_BAUD;
		}
	}
	if (baud_to_speed(o.baud) == 0) {
		log_error("Could not open %s: unsupported speed %d baud", path, o.baud);
		errno = EINVAL;
		return NULL;
	}
	struct serial *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return NULL;
	}
	s->fd = -1;
	s->path = strdup(path);
	if (s->path == NULL) {
		free(s);
		return NULL;
	}

	struct stat st;
	int rc;
	if (stat(path, &st) < 0) {
		rc = -errno;
	} else {
		int fatal;
		rc = open_native(s, &o, &fatal);
		if (rc < 0 && fatal != 0) {
			rc = -fatal;
		} else if (rc < 0) {
			log_debug("libserialport cannot use %s (%s); opening it as a plain terminal",
				  path, strerror(-rc));
			rc = open_termios(s, &o);
		}
	}
	if (rc < 0) {
		log_error("Could not open %s: %s%s", path, strerror(-rc), serial_error_hint(-rc));
		free(s->path);
		free(s);
		errno = -rc;
		return NULL;
	}
	log_debug("Opened %s at %d baud, flow control %s%s", path, o.baud, serial_flow_str(o.flow),
		  s->port != NULL ? "" : " (termios)");
	return s;
}

void serial_close(struct serial *s) {
	if (s == NULL) {
		return;
	}
	if (s->port != NULL) {
		sp_close(s->port);
		sp_free_port(s->port);
	} else if (s->fd >= 0) {
		close(s->fd);
	}
	free(s->path);
	free(s);
}

int serial_get_fd(const struct serial *s) {
	return s != NULL ? s->fd : -1;
}

const char *serial_get_path(const struct serial *s) {
	return s != NULL ? s->path : "";
}

bool serial_is_native(const struct serial *s) {
	return s != NULL && s->port != NULL;
}

static ssize_t gone_or(int err) {
	switch (err) {
	case EAGAIN:
	case EINTR:
		return -EAGAIN;
	case EIO:
	case ENXIO:
	case ENODEV:
	case EPIPE:
	case EBADF:
		return -ENODEV;
	default:
		return -err;
	}
}

ssize_t serial_read(struct serial *s, void *buf, size_t len) {
	if (s == NULL || s->fd < 0) {
		return -EBADF;
	}
	ssize_t n = read(s->fd, buf, len);
	if (n > 0) {
		return n;
	}
	if (n == 0) {
		return len == 0 ? -EAGAIN : -ENODEV;
	}
	return gone_or(errno);
}

ssize_t serial_write(struct serial *s, const void *buf, size_t len) {
	if (s == NULL || s->fd < 0) {
		return -EBADF;
	}
	if (len == 0) {
		return 0;
	}
	ssize_t n = write(s->fd, buf, len);
	if (n >= 0) {
		return n;
	}
	return gone_or(errno);
}
