/*
 * libmosquitto driven from the GLib main loop, as its header's "Network loop
 * (for use in other event loops)" describes: the socket watched for reading
 * (and for writing while mosquitto_want_write()), mosquitto_loop_misc()
 * every MISC_INTERVAL seconds for the keep-alive. The socket changes on
 * every connect and the library may close it inside any loop call, so the
 * watch is checked again after each one (see doc/mqtt-ha.md §7).
 *
 * mosquitto_connect_async() looks the broker's name up with getaddrinfo(),
 * which blocks (seconds, when DNS is away). For a name (not an address) it
 * runs on a thread of its own, which alone touches the client until it is
 * done; calls meanwhile see a broker not connected and drop their events,
 * as they do whenever the broker is away.
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <mosquitto.h>
#include <stdlib.h>
#include <string.h>

#include "fd_watch.h"
#include "log.h"
#include "mqtt.h"

#define BACKOFF_FIRST 1
#define BACKOFF_MAX   60
#define KEEPALIVE     60
/* loop_misc sends the keep-alive PING once KEEPALIVE passed without traffic;
 * the header calls once a second sufficient, but the broker only gives up
 * after 1.5 x KEEPALIVE, so every 10 s is enough and wakes an idle daemon
 * less (house style: no periodic wake-ups without need). */
#define MISC_INTERVAL 10

struct mqtt {
	struct mosquitto *mosq;
	struct mqtt_hooks hooks;
	void *data;
	char *host;
	int port;
	char *status_topic;
	GHashTable *retained; /* topic -> payload, published again on reconnect */
	GPtrArray *subscriptions;
	int fd; /* the watched socket, or -1 */
	GIOCondition cond;
	GSource *watch; /* on the socket, or NULL */
	guint misc_timer, retry_timer;
	int backoff; /* seconds before the next attempt */
	bool connected;
	bool lost;	       /* a loop call failed: reconnect */
	bool said_dropped;     /* logged that events are dropped, this outage */
	bool said_unreachable; /* logged that the broker cannot be reached */
	GMainContext *context; /* the loop the client is driven from */
	GThread *connecting;   /* looking the name up and connecting */
	int connect_rc, connect_errno;
	GSource *connected_src; /* the thread's word that it is done */
};

static void update(struct mqtt *m);

/*
 * What calls publish goes at QoS 0. QoS 1 buys a resend when the link
 * drops before the broker's PUBACK, which ctid needs nothing of: retained
 * state is published again on every reconnect, events while the broker is
 * away are dropped, and Home Assistant subscribes at QoS 0 (doc/mqtt-ha.md
 * §5). It cost a PUBACK for each message, a dozen a call, each a wake-up
 * of the main loop to read it. ctid/status, online, offline and the will,
 * stays at QoS 1.
 */
#define CALL_QOS 0

static void publish_retained(struct mqtt *m) {
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, m->retained);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		mosquitto_publish(m->mosq, NULL, k, (int)strlen(v), v, CALL_QOS, true);
	}
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc) {
	struct mqtt *m = obj;
	if (rc != 0) {
		log_warn("MQTT broker %s:%d refused the connection: %s", m->host, m->port,
			 mosquitto_connack_string(rc));
		m->lost = true;
		return;
	}
	log_info("Connected to the MQTT broker %s:%d", m->host, m->port);
	m->connected = true;
	m->said_dropped = false;
	m->said_unreachable = false;
	m->backoff = BACKOFF_FIRST;
	/* inside a callback these are queued; update() then watches for writing */
	mosquitto_publish(mosq, NULL, m->status_topic, 6, "online", 1, true);
	publish_retained(m);
	for (guint i = 0; i < m->subscriptions->len; i++) {
		mosquitto_subscribe(mosq, NULL, g_ptr_array_index(m->subscriptions, i), 1);
	}
	if (m->hooks.connected != NULL) {
		m->hooks.connected(m->data);
	}
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc) {
	struct mqtt *m = obj;
	if (m->connected) {
		log_warn("Lost the MQTT broker %s:%d (%s); reconnecting", m->host, m->port,
			 mosquitto_strerror(rc));
	} else if (!m->said_unreachable) {
		log_warn("Could not reach the MQTT broker %s:%d: %s (trying again, then every "
			 "minute at most)",
			 m->host, m->port, mosquitto_strerror(rc));
		m->said_unreachable = true;
	}
	m->connected = false;
	m->lost = true;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg) {
	struct mqtt *m = obj;
	if (m->hooks.message != NULL) {
		m->hooks.message(msg->topic, msg->payload, (size_t)msg->payloadlen, m->data);
	}
}

static gboolean retry_cb(gpointer data);

static void schedule_retry(struct mqtt *m) {
	if (m->retry_timer != 0) {
		return;
	}
	log_debug("MQTT: next attempt in %d s", m->backoff);
	m->retry_timer = g_timeout_add_seconds((guint)m->backoff, retry_cb, m);
	m->backoff = m->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : m->backoff * 2;
}

static void drop_watch(struct mqtt *m) {
	if (m->watch != NULL) {
		g_source_destroy(m->watch);
		g_source_unref(m->watch);
		m->watch = NULL;
	}
}

static void stop_watch(struct mqtt *m) {
	drop_watch(m);
	if (m->misc_timer != 0) {
		g_source_remove(m->misc_timer);
		m->misc_timer = 0;
	}
	m->fd = -1;
}

static gboolean fd_cb(int fd, GIOCondition cond, gpointer data) {
	struct mqtt *m = data;
	int rc = MOSQ_ERR_SUCCESS;
	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
		rc = mosquitto_loop_read(m->mosq, 1);
	}
	if (rc == MOSQ_ERR_SUCCESS && (cond & G_IO_OUT)) {
		rc = mosquitto_loop_write(m->mosq, 1);
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		m->lost = true;
	}
	update(m);
	return G_SOURCE_CONTINUE; /* update() removes it when the socket goes */
}

static gboolean misc_cb(gpointer data) {
	struct mqtt *m = data;
	if (mosquitto_loop_misc(m->mosq) != MOSQ_ERR_SUCCESS) {
		m->lost = true;
	}
	update(m);
	return G_SOURCE_CONTINUE;
}

/* Watches the socket as the library now wants it, or starts over when the
 * connection is gone. */
static void update(struct mqtt *m) {
	if (m->lost) {
		m->lost = false;
		m->connected = false;
		stop_watch(m);
		schedule_retry(m);
		return;
	}
	int fd = mosquitto_socket(m->mosq);
	GIOCondition cond = G_IO_IN | (mosquitto_want_write(m->mosq) ? G_IO_OUT : 0);
	if (fd < 0) {
		m->connected = false;
		stop_watch(m);
		schedule_retry(m);
		return;
	}
	if (fd != m->fd || cond != m->cond) {
		drop_watch(m);
		m->watch = fd_watch_new(fd, cond, fd_cb, m, m->context);
		m->fd = fd;
		m->cond = cond;
	}
	if (m->misc_timer == 0) {
		m->misc_timer = g_timeout_add_seconds(MISC_INTERVAL, misc_cb, m);
	}
}

/* What came of mosquitto_connect_async(). */
static void attempted(struct mqtt *m, int rc, int err) {
	if (rc != MOSQ_ERR_SUCCESS) {
		/* the first failure of an outage is worth a warning, not each retry */
		log_printf(m->said_unreachable ? LOG_DEBUG : LOG_WARN,
			   "Could not reach the MQTT broker %s:%d: %s (trying again, then every "
			   "minute at most)",
			   m->host, m->port,
			   rc == MOSQ_ERR_ERRNO ? strerror(err) : mosquitto_strerror(rc));
		m->said_unreachable = true;
		schedule_retry(m);
		return;
	}
	update(m);
}

static gboolean connect_done(gpointer data) {
	struct mqtt *m = data;
	g_thread_join(m->connecting);
	m->connecting = NULL;
	g_source_unref(m->connected_src);
	m->connected_src = NULL;
	attempted(m, m->connect_rc, m->connect_errno);
	return G_SOURCE_REMOVE;
}

static gpointer connect_thread(gpointer data) {
	struct mqtt *m = data;
	m->connect_rc = mosquitto_connect_async(m->mosq, m->host, m->port, KEEPALIVE);
	m->connect_errno = errno;
	m->connected_src = g_idle_source_new();
	g_source_set_callback(m->connected_src, connect_done, m, NULL);
	g_source_attach(m->connected_src, m->context);
	return NULL;
}

static void attempt(struct mqtt *m) {
	stop_watch(m);
	/* non-blocking: the CONNECT goes out when the socket becomes writable */
	if (!g_hostname_is_ip_address(m->host)) {
		m->connecting = g_thread_new("ctid-mqtt-connect", connect_thread, m);
		return;
	}
	int rc = mosquitto_connect_async(m->mosq, m->host, m->port, KEEPALIVE);
	attempted(m, rc, errno);
}

static gboolean retry_cb(gpointer data) {
	struct mqtt *m = data;
	m->retry_timer = 0;
	attempt(m);
	return G_SOURCE_REMOVE;
}

struct mqtt *mqtt_create(const struct mqtt_options *o, const struct mqtt_hooks *hooks, void *data) {
	static bool initialised;
	if (!initialised) {
		mosquitto_lib_init();
		initialised = true;
	}
	struct mqtt *m = g_new0(struct mqtt, 1);
	m->context = g_main_context_ref_thread_default();
	m->hooks = *hooks;
	m->data = data;
	m->host = g_strdup(o->host);
	m->port = o->port > 0 ? o->port : o->tls ? 8883 : 1883;
	m->status_topic = g_strdup_printf("%s/status", o->prefix);
	m->retained = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	m->subscriptions = g_ptr_array_new_with_free_func(g_free);
	m->fd = -1;
	m->backoff = BACKOFF_FIRST;
	m->mosq = mosquitto_new(NULL, true, m);
	if (m->mosq == NULL) {
		log_error("Could not start the MQTT client: %s", strerror(errno));
		goto fail;
	}
	int rc = mosquitto_will_set(m->mosq, m->status_topic, 7, "offline", 1, true);
	if (rc == MOSQ_ERR_SUCCESS && o->user != NULL) {
		rc = mosquitto_username_pw_set(m->mosq, o->user, o->password);
	}
	if (rc == MOSQ_ERR_SUCCESS && o->tls) {
		/* 2.0.11 cannot reconnect with MOSQ_OPT_TLS_USE_OS_CERTS alone, so
		 * the system's store is named (doc/mqtt-ha.md §7) */
		rc = o->ca_file != NULL
			     ? mosquitto_tls_set(m->mosq, o->ca_file, NULL, NULL, NULL, NULL)
			     : mosquitto_tls_set(m->mosq, NULL, "/etc/ssl/certs", NULL, NULL, NULL);
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		log_error("Could not set up the MQTT client for %s:%d: %s", m->host, m->port,
			  mosquitto_strerror(rc));
		errno = EINVAL;
		goto fail;
	}
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
	mosquitto_message_callback_set(m->mosq, on_message);
	attempt(m);
	return m;
fail:
	mqtt_destroy(m);
	return NULL;
}

void mqtt_destroy(struct mqtt *m) {
	if (m == NULL) {
		return;
	}
	if (m->connecting != NULL) {
		g_thread_join(m->connecting); /* at most the name lookup's timeout */
		g_source_destroy(m->connected_src);
		g_source_unref(m->connected_src);
	}
	stop_watch(m);
	if (m->retry_timer != 0) {
		g_source_remove(m->retry_timer);
	}
	if (m->mosq != NULL) {
		if (m->connected) {
			mosquitto_publish(m->mosq, NULL, m->status_topic, 7, "offline", 1, true);
			mosquitto_disconnect(m->mosq);
		}
		mosquitto_destroy(m->mosq);
	}
	g_hash_table_destroy(m->retained);
	g_ptr_array_free(m->subscriptions, true);
	g_free(m->status_topic);
	g_free(m->host);
	g_main_context_unref(m->context);
	g_free(m);
}

int mqtt_publish(struct mqtt *m, const char *topic, const char *payload, bool retain) {
	if (retain) {
		g_hash_table_replace(m->retained, g_strdup(topic), g_strdup(payload));
	}
	if (!m->connected) {
		if (!m->said_dropped) {
			log_warn("MQTT broker %s:%d away: dropping events until it is back",
				 m->host, m->port);
			m->said_dropped = true;
		}
		return -ENOTCONN;
	}
	int rc = mosquitto_publish(m->mosq, NULL, topic, (int)strlen(payload), payload, CALL_QOS,
				   retain);
	update(m);
	if (rc == MOSQ_ERR_NO_CONN) {
		return -ENOTCONN; /* lost just now: on_disconnect says so */
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		log_warn("Could not publish on %s: %s", topic, mosquitto_strerror(rc));
		return rc == MOSQ_ERR_NOMEM ? -ENOMEM : -EIO;
	}
	return 0;
}

void mqtt_republish(struct mqtt *m) {
	if (m->connected) {
		publish_retained(m);
		update(m);
	}
}

int mqtt_subscribe(struct mqtt *m, const char *topic) {
	g_ptr_array_add(m->subscriptions, g_strdup(topic));
	if (m->connected) {
		mosquitto_subscribe(m->mosq, NULL, topic, 1);
		update(m);
	}
	return 0;
}

bool mqtt_connected(const struct mqtt *m) {
	return m->connected;
}
