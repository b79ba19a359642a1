#include <errno.h>
#include <libserialport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ports.h"

/*
 * Sources: usb.ids (0baf:0303 USR5637, 0803:3095 Zoom 3095, 0572:1340
 * CX93010, 0572:1328 TrendNet TFM-561), the Linux cdc-acm quirk table
 * (0572:1329 "Hummingbird huc56s (Conexant)", 0572:1321 "Conexant USB MODEM
 * CX93010"), a user report for 0572:1349 (StarTech 56K USB). Vendor-wide
 * entries are for GSM dongles, which use many product ids.
 */
static const struct ports_model models[] = {
	{0x0baf, 0x0303, "USRobotics 5637", false, "voice modem, caller ID via AT+VCID=1"},
	{0x0803, 0x3095, "Zoom 3095 (Conexant)", false, "caller ID forgotten after ATZ"},
	{0x0572, 0x1329, "Conexant USB modem", false, "caller ID forgotten after ATZ"},
	{0x0572, 0x1321, "Conexant CX93010 USB modem", false, "caller ID forgotten after ATZ"},
	{0x0572, 0x1340, "Conexant CX93010 USB modem", false, "caller ID forgotten after ATZ"},
	{0x0572, 0x1349, "Conexant USB modem", false, "caller ID forgotten after ATZ"},
	{0x0572, 0x1328, "TrendNet TFM-561 (Conexant)", false, NULL},
	{0x0572, -1, "Conexant modem", false, NULL},
	{0x12d1, -1, "Huawei GSM/3G modem", true, "caller ID via AT+CLIP=1"},
	{0x19d2, -1, "ZTE GSM/3G modem", true, "caller ID via AT+CLIP=1"},
	{0x1e0e, -1, "Qualcomm/Option GSM modem", true, "caller ID via AT+CLIP=1"},
	{0x2c7c, -1, "Quectel GSM/LTE modem", true, "caller ID via AT+CLIP=1"},
	{0x1410, -1, "Novatel GSM modem", true, "caller ID via AT+CLIP=1"},
};

const struct ports_model *ports_lookup_model(int vid, int pid) {
	if (vid < 0) {
		return NULL;
	}
	const struct ports_model *vendor = NULL;
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		if (models[i].vid != vid) {
			continue;
		}
		if (models[i].pid == pid) {
			return &models[i];
		}
		if (models[i].pid == -1 && vendor == NULL) {
			vendor = &models[i];
		}
	}
	return vendor;
}

static void copy(char *dst, size_t size, const char *src) {
	size_t n = 0;
	if (src != NULL) {
		/* Keep it printable: USB strings come from the device. */
		for (; src[n] != '\0' && n + 1 < size; n++) {
			unsigned char c = (unsigned char)src[n];
			dst[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
	}
	dst[n] = '\0';
}

static const char *transport_str(enum sp_transport t) {
	switch (t) {
	case SP_TRANSPORT_USB:
		return "usb";
	case SP_TRANSPORT_BLUETOOTH:
		return "bluetooth";
	case SP_TRANSPORT_NATIVE:
		break;
	}
	return "native";
}

static int compare_entries(const void *a, const void *b) {
	const struct ports_entry *x = a, *y = b;
	return strcmp(x->name, y->name);
}

ssize_t ports_list(struct ports_entry *entries, size_t max) {
	struct sp_port **list = NULL;
	if (sp_list_ports(&list) != SP_OK) {
		int err = sp_last_error_code();
		char *msg = sp_last_error_message();
		log_error("Could not list serial ports: %s", msg != NULL ? msg : "unknown error");
		sp_free_error_message(msg);
		return err > 0 ? -err : -EIO;
	}
	size_t count = 0;
	for (size_t i = 0; list[i] != NULL; i++, count++) {
		if (i >= max) {
			continue;
		}
		struct ports_entry *e = &entries[i];
		memset(e, 0, sizeof(*e));
		struct sp_port *p = list[i];
		copy(e->name, sizeof(e->name), sp_get_port_name(p));
		enum sp_transport t = sp_get_port_transport(p);
		/* Our own literal: no need to sanitise it (and GCC 12 at -O3 warns,
		 * wrongly, that copy() reads past "bluetooth" once inlined). */
		snprintf(e->transport, sizeof(e->transport), "%s", transport_str(t));
		copy(e->description, sizeof(e->description), sp_get_port_description(p));
		e->vid = e->pid = -1;
		if (t == SP_TRANSPORT_USB) {
			int vid, pid;
			if (sp_get_port_usb_vid_pid(p, &vid, &pid) == SP_OK) {
				e->vid = vid;
				e->pid = pid;
			}
			copy(e->manufacturer, sizeof(e->manufacturer),
			     sp_get_port_usb_manufacturer(p));
			copy(e->product, sizeof(e->product), sp_get_port_usb_product(p));
			copy(e->serial, sizeof(e->serial), sp_get_port_usb_serial(p));
		}
		e->model = ports_lookup_model(e->vid, e->pid);
	}
	sp_free_port_list(list);
	size_t filled = count < max ? count : max;
	if (filled > 1) {
		qsort(entries, filled, sizeof(entries[0]), compare_entries);
	}
	return (ssize_t)count;
}

void ports_print(FILE *f, const struct ports_entry *entries, size_t n) {
	if (n == 0) {
		fprintf(f, "No serial ports found.\n");
		return;
	}
	fprintf(f, "%-16s %-9s %-9s %-32s %s\n", "PORT", "TRANSPORT", "USB ID", "DEVICE", "MODEL");
	for (size_t i = 0; i < n; i++) {
		const struct ports_entry *e = &entries[i];
		char id[16] = "-";
		if (e->vid >= 0) {
			snprintf(id, sizeof(id), "%04x:%04x", (unsigned)e->vid & 0xffff,
				 (unsigned)e->pid & 0xffff);
		}
		char device[160];
		if (e->manufacturer[0] != '\0' || e->product[0] != '\0') {
			snprintf(device, sizeof(device), "%s%s%s", e->manufacturer,
				 e->manufacturer[0] != '\0' && e->product[0] != '\0' ? " " : "",
				 e->product);
		} else {
			snprintf(device, sizeof(device), "%s",
				 e->description[0] != '\0' ? e->description : "-");
		}
		const char *model = "-";
		char model_buf[160];
		if (e->model != NULL) {
			snprintf(model_buf, sizeof(model_buf), "%s%s", e->model->name,
				 e->model->gsm ? " [GSM]" : "");
			model = model_buf;
		}
		fprintf(f, "%-16s %-9s %-9s %-32.32s %s", e->name, e->transport, id, device, model);
		if (e->serial[0] != '\0') {
			fprintf(f, " (serial %s)", e->serial);
		}
		fputc('\n', f);
	}
}
