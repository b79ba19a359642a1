/* Serial ports on a pseudo-terminal (the termios fallback), errors with
 * hints, and the port listing's model table and table output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "ports.h"
#include "serial.h"
#include "tap.h"

static void test_errors(void) {
	errno = 0;
	ok(serial_open("/nonexistent/ttyACM9", NULL) == NULL && errno == ENOENT,
	   "missing device: ENOENT");
	errno = 0;
	ok(serial_open("/dev/null", NULL) == NULL && errno == ENOTTY, "not a terminal: ENOTTY");
	struct serial_options bad = {.baud = 12345};
	errno = 0;
	ok(serial_open("/dev/null", &bad) == NULL && errno == EINVAL, "odd speed: EINVAL");
	ok(strstr(serial_error_hint(EACCES), "dialout") != NULL, "EACCES hint names dialout");
	ok(strstr(serial_error_hint(EBUSY), "in use") != NULL, "EBUSY hint says in use");
	is_str(serial_error_hint(EINVAL), "", "no hint for EINVAL");

	enum serial_flow f;
	ok(serial_flow_from_str("rtscts", &f) == 0 && f == SERIAL_FLOW_RTSCTS, "rtscts parsed");
	ok(serial_flow_from_str("XONXOFF", &f) == 0 && f == SERIAL_FLOW_XONXOFF, "xonxoff parsed");
	ok(serial_flow_from_str("none", &f) == 0 && f == SERIAL_FLOW_NONE, "none parsed");
	is_int(serial_flow_from_str("dtrdsr", &f), -EINVAL, "unknown flow refused");
	is_str(serial_flow_str(SERIAL_FLOW_RTSCTS), "rtscts", "flow name");
}

static void test_pty(void) {
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	ok(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0, "pty made");
	char name[128];
	ptsname_r(master, name, sizeof(name));
	struct serial_options o = {.baud = 57600, .flow = SERIAL_FLOW_RTSCTS};
	struct serial *s = serial_open(name, &o);
	ok(s != NULL, "pty opened");
	ok(!serial_is_native(s), "through the termios fallback");
	is_str(serial_get_path(s), name, "path kept");
	int fd = serial_get_fd(s);
	ok(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0, "non-blocking fd");
	struct termios tio;
	ok(tcgetattr(fd, &tio) == 0 && (tio.c_lflag & (ECHO | ICANON)) == 0, "raw mode");
	ok(cfgetospeed(&tio) == B57600, "speed set");
	ok((tio.c_cflag & CRTSCTS) != 0, "RTS/CTS set");

	char buf[64];
	is_int(serial_read(s, buf, sizeof(buf)), -EAGAIN, "nothing to read: -EAGAIN");
	is_int(serial_write(s, "ATZ\r", 4), 4, "write");
	ssize_t n = read(master, buf, sizeof(buf));
	ok(n == 4 && memcmp(buf, "ATZ\r", 4) == 0, "bytes reach the other side unchanged");
	n = write(master, "\r\nOK\r\n", 6);
	is_int(serial_read(s, buf, sizeof(buf)), 6, "answer read");
	ok(memcmp(buf, "\r\nOK\r\n", 6) == 0, "CR LF not translated");
	/* close(NULL) returns at once and closes nothing: the port still works. */
	serial_close(NULL);
	ok(fcntl(fd, F_GETFD) >= 0 && serial_write(s, "AT\r", 3) == 3,
	   "serial_close(NULL) leaves the open port alone");
	ok(read(master, buf, sizeof(buf)) == 3, "which still reaches the other side");
	close(master);
	is_int(serial_read(s, buf, sizeof(buf)), -ENODEV, "other side closed: -ENODEV");
	serial_close(s);
}

static void test_ports(void) {
	const struct ports_model *m = ports_lookup_model(0x0baf, 0x0303);
	ok(m != NULL && strcmp(m->name, "USRobotics 5637") == 0 && !m->gsm, "USR 5637 known");
	m = ports_lookup_model(0x0572, 0x1329);
	ok(m != NULL && strstr(m->name, "Conexant") != NULL, "Conexant 0572:1329 known");
	m = ports_lookup_model(0x0572, 0x9999);
	ok(m != NULL && strstr(m->name, "Conexant") != NULL, "other Conexant ids by vendor");
	m = ports_lookup_model(0x12d1, 0x1001);
	ok(m != NULL && m->gsm, "Huawei dongle is GSM");
	m = ports_lookup_model(0x19d2, 0x0031);
	ok(m != NULL && m->gsm, "ZTE dongle is GSM");
	ok(ports_lookup_model(0x1234, 0x5678) == NULL, "unknown id");
	ok(ports_lookup_model(-1, -1) == NULL, "not USB");

	struct ports_entry e[2];
	memset(e, 0, sizeof(e));
	snprintf(e[0].name, sizeof(e[0].name), "/dev/ttyACM0");
	snprintf(e[0].transport, sizeof(e[0].transport), "usb");
	e[0].vid = 0x0baf;
	e[0].pid = 0x0303;
	snprintf(e[0].manufacturer, sizeof(e[0].manufacturer), "U.S. Robotics");
	snprintf(e[0].product, sizeof(e[0].product), "USB Modem");
	snprintf(e[0].serial, sizeof(e[0].serial), "0000001");
	e[0].model = ports_lookup_model(e[0].vid, e[0].pid);
	snprintf(e[1].name, sizeof(e[1].name), "/dev/ttyUSB2");
	snprintf(e[1].transport, sizeof(e[1].transport), "usb");
	e[1].vid = 0x12d1;
	e[1].pid = 0x1506;
	e[1].model = ports_lookup_model(e[1].vid, e[1].pid);
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	ports_print(f, e, 2);
	fclose(f);
	ok(text != NULL && strncmp(text, "PORT", 4) == 0, "table has a header");
	ok(text != NULL && strstr(text, "0baf:0303") != NULL, "USB id printed");
	ok(text != NULL && strstr(text, "USRobotics 5637") != NULL, "model printed");
	ok(text != NULL && strstr(text, "[GSM]") != NULL, "GSM marked");
	ok(text != NULL && strstr(text, "serial 0000001") != NULL, "serial number printed");
	free(text);
	text = NULL;
	f = open_memstream(&text, &size);
	ports_print(f, e, 0);
	fclose(f);
	is_str(text, "No serial ports found.\n", "empty list said so");
	free(text);

	struct ports_entry found[64];
	ssize_t n = ports_list(found, 64);
	ok(n >= 0, "listing the machine's ports works (%zd found)", n);
	for (ssize_t i = 1; i < n && i < 64; i++) {
		if (strcmp(found[i - 1].name, found[i].name) > 0) {
			ok(0, "sorted by name");
		}
	}
}

int main(void) {
	log_init("test_serial", LOG_SILENT);
	test_errors();
	test_pty();
	test_ports();
	return tap_done();
}
