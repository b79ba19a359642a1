/* A FRITZ!Box's call monitor followed over the network: netline's lines
 * through the parser, with the time each line came. */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>

#include "fritzbox.h"
#include "log.h"
#include "netline.h"

struct fritzbox {
	struct fritzbox_parser *parser;
	struct netline *net;
	bool bad_logged; /* a line that is no event was logged on this connection */
};

static int64_t now_wall(void) {
	return g_get_real_time() / 1000;
}

static void on_line(const char *s, size_t len, void *data) {
	struct fritzbox *fb = data;
	int ret = fritzbox_parser_line(fb->parser, s, len, now_wall());
	if (ret == -EINVAL && !fb->bad_logged) {
		/* what it was stays out of the log: it may be anything */
		log_warn("The FRITZ!Box call monitor sent a line that is no call event (%zu bytes); "
			 "ignored it",
			 len);
		fb->bad_logged = true;
	} else if (ret == -ENOENT) {
		log_debug("The FRITZ!Box call monitor spoke of a call that began before ctid "
			  "connected; ignored it");
	}
}

/* The box says nothing until a call comes: connected is working. */
static void on_up(void *data) {
	struct fritzbox *fb = data;
	fb->bad_logged = false;
	netline_good(fb->net);
}

/* The box may have restarted: it will never end the calls it had. */
static void on_down(void *data) {
	struct fritzbox *fb = data;
	fritzbox_parser_finish(fb->parser, now_wall());
}

static const struct netline_listener net_listener = {
	.line = on_line,
	.up = on_up,
	.down = on_down,
};

struct fritzbox *fritzbox_create(const struct fritzbox_options *opts, fritzbox_call_fn fn,
				 void *data) {
	struct fritzbox *fb = calloc(1, sizeof(*fb));
	if (fb == NULL) {
		return NULL;
	}
	fb->parser = fritzbox_parser_create(opts->line, fn, data);
	if (fb->parser == NULL) {
		free(fb);
		return NULL;
	}
	struct netline_options no = {
		.host = opts->host,
		.port = opts->port > 0 ? opts->port : FRITZBOX_DEFAULT_PORT,
		.what = "FRITZ!Box call monitor",
		.refused_hint = "is the call monitor on? Dial #96*5* on a phone attached to the "
				"box to turn it on",
		.retry_min_ms = opts->retry_min_ms,
	};
	fb->net = netline_create(&no, &net_listener, fb);
	if (fb->net == NULL) {
		int err = errno;
		fritzbox_parser_destroy(fb->parser);
		free(fb);
		errno = err;
		return NULL;
	}
	return fb;
}

void fritzbox_destroy(struct fritzbox *fb) {
	if (fb == NULL) {
		return;
	}
	netline_destroy(fb->net);
	fritzbox_parser_finish(fb->parser, now_wall());
	fritzbox_parser_destroy(fb->parser);
	free(fb);
}

bool fritzbox_connected(const struct fritzbox *fb) {
	return fb != NULL && netline_connected(fb->net);
}
