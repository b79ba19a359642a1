#ifndef CTID_MQTT_H
#define CTID_MQTT_H

/*
 * An MQTT client on the GLib main loop (libmosquitto, no thread of its own):
 * it connects without blocking, reconnects with back-off (1 s doubling to
 * 60 s, never giving up), announces "online" on PREFIX/status and leaves
 * "offline" there as its last will. Retained messages are remembered and
 * published again on every reconnect; the rest, while the broker is away,
 * are dropped (logged once per outage). Nothing here waits for the broker.
 */

#include <stdbool.h>
#include <stddef.h>

struct mqtt_options {
	const char *host;
	int port;	      /* 0: 1883, or 8883 with tls */
	const char *user;     /* or NULL */
	const char *password; /* or NULL */
	bool tls;
	const char *ca_file; /* with tls: certificates to trust; NULL: the system's */
	const char *prefix;  /* topics' prefix, "ctid" */
};

struct mqtt_hooks {
	/* After each successful (re)connect, once the retained state is out. */
	void (*connected)(void *data);
	/* A message on a subscribed topic (payload not NUL-terminated). */
	void (*message)(const char *topic, const char *payload, size_t len, void *data);
};

struct mqtt;

/* Starts connecting. Returns NULL with errno set (after logging) when the
 * options are unusable; a broker that is away is not an error. */
struct mqtt *mqtt_create(const struct mqtt_options *o, const struct mqtt_hooks *hooks, void *data);
/* Publishes "offline" and disconnects. mqtt_destroy(NULL) is a no-op. */
void mqtt_destroy(struct mqtt *m);

/* Publishes payload on topic (the caller's full topic). A retained one is
 * also kept and published again after a reconnect. Returns 0, or -ENOTCONN
 * when the broker is away (the message is dropped) or another -errno. */
int mqtt_publish(struct mqtt *m, const char *topic, const char *payload, bool retain);

/* Publishes every retained message again (for a subscriber that missed
 * them, such as Home Assistant starting after us). */
void mqtt_republish(struct mqtt *m);

/* Subscribes to topic now and after every reconnect. Returns 0 or -ENOMEM. */
int mqtt_subscribe(struct mqtt *m, const char *topic);

/* Whether the broker has accepted the connection. */
bool mqtt_connected(const struct mqtt *m);

#endif
