/* The FRITZ!Box's dial help over TR-064 (SOAP over HTTP, Digest auth). */
#include <errno.h>
#include <libsoup/soup.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tr064.h"

#define SERVICE "urn:dslforum-org:service:X_VoIP:1"
#define ACTION	"X_AVM-DE_DialNumber"

struct tr064 {
	SoupSession *session;
	char *url; /* http://HOST:PORT/upnp/control/x_voip */
	char *user, *password;
	char number[48];
	GCancellable *busy; /* the request in flight, or NULL */
	unsigned tries;	    /* authenticate signals for the request in flight */
};

struct tr064 *tr064_create(const struct tr064_options *o) {
	if (o->host == NULL || o->user == NULL || o->password == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct tr064 *t = g_new0(struct tr064, 1);
	bool v6 = strchr(o->host, ':') != NULL;
	t->url = g_strdup_printf("http://%s%s%s:%d/upnp/control/x_voip", v6 ? "[" : "", o->host,
				 v6 ? "]" : "", o->port > 0 ? o->port : TR064_DEFAULT_PORT);
	t->user = g_strdup(o->user);
	t->password = g_strdup(o->password);
	t->session = soup_session_new_with_options("user-agent", "ctid/" CTID_VERSION, "timeout",
						   15, NULL);
	return t;
}

void tr064_destroy(struct tr064 *t) {
	if (t == NULL) {
		return;
	}
	if (t->busy != NULL) {
		g_cancellable_cancel(t->busy);
		g_clear_object(&t->busy);
	}
	g_object_unref(t->session);
	g_free(t->url);
	g_free(t->user);
	if (t->password != NULL) {
		memset(t->password, 0, strlen(t->password));
	}
	g_free(t->password);
	g_free(t);
}

static gboolean on_authenticate(SoupMessage *msg, SoupAuth *auth, gboolean retrying, gpointer data) {
	struct tr064 *t = data;
	if (retrying || t->tries++ > 0) {
		return FALSE; /* the login was refused: the answer says 401 */
	}
	soup_auth_authenticate(auth, t->user, t->password);
	return TRUE;
}

#define BODY_TYPE "text/xml; charset=\"utf-8\""

static void on_restarted(SoupMessage *msg, gpointer bytes) {
	soup_message_set_request_body_from_bytes(msg, BODY_TYPE, bytes);
}

/* The UPnP error's description in a fault, or NULL (a new string). */
static char *fault_text(GBytes *body) {
	gsize n = 0;
	const char *s = body != NULL ? g_bytes_get_data(body, &n) : NULL;
	if (s == NULL) {
		return NULL;
	}
	char *text = g_strndup(s, n);
	char *start = strstr(text, "<errorDescription>");
	char *end = start != NULL ? strstr(start, "</errorDescription>") : NULL;
	char *out = NULL;
	if (end != NULL) {
		start += strlen("<errorDescription>");
		out = g_strndup(start, (gsize)(end - start));
		/* from the network: no control characters reach the log */
		for (char *c = out; *c != '\0'; c++) {
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				*c = ' ';
			}
		}
	}
	g_free(text);
	return out;
}

static void on_reply(GObject *source, GAsyncResult *res, gpointer data) {
	struct tr064 *t = data;
	GError *err = NULL;
	GBytes *body = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &err);
	if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(err);
		return; /* destroyed: t is gone */
	}
	SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(source), res);
	guint status = body != NULL && msg != NULL ? soup_message_get_status(msg) : 0;
	char *fault = status >= 400 ? fault_text(body) : NULL;
	if (status >= 200 && status < 300) {
		log_info("FRITZ!Box: dialling %s; pick up the phone of its dial help", t->number);
	} else if (status == 401) {
		log_error("FRITZ!Box refused the login of %s for dialling %s: check [fritzbox] "
			  "dial-user and dial-password-file (a user of the box with the right to "
			  "make calls)",
			  t->user, t->number);
	} else if (status != 0) {
		log_error("FRITZ!Box could not dial %s (%u%s%s): turn its dial help on (Telephony > "
			  "Calls > Dial help, with a phone chosen) and allow access for applications "
			  "(Home Network > Network > Network Settings)",
			  t->number, status, fault != NULL ? ", " : "", fault != NULL ? fault : "");
	} else {
		log_error("FRITZ!Box did not answer the request to dial %s at %s: %s", t->number,
			  t->url, err != NULL ? err->message : "no answer");
	}
	g_free(fault);
	if (body != NULL) {
		g_bytes_unref(body);
	}
	g_clear_error(&err);
	g_clear_object(&t->busy);
}

int tr064_dial(struct tr064 *t, const char *digits) {
	size_t n = strlen(digits);
	if (n == 0 || n >= sizeof(t->number) || strspn(digits, "0123456789*#+") != n) {
		return -EINVAL;
	}
	if (t->busy != NULL) {
		return -EBUSY;
	}
	snprintf(t->number, sizeof(t->number), "%s", digits);
	char *envelope =
		g_strdup_printf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
				"<s:Envelope s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" "
				"xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">\n"
				"<s:Body>\n<u:" ACTION " xmlns:u=\"" SERVICE "\">\n"
				"<NewX_AVM-DE_PhoneNumber>%s</NewX_AVM-DE_PhoneNumber>\n"
				"</u:" ACTION ">\n</s:Body>\n</s:Envelope>\n",
				digits);
	SoupMessage *msg = soup_message_new("POST", t->url);
	if (msg == NULL) {
		g_free(envelope);
		return -EINVAL;
	}
	GBytes *b = g_bytes_new_take(envelope, strlen(envelope));
	soup_message_set_request_body_from_bytes(msg, BODY_TYPE, b);
	/* libsoup 3.2 sends the request again after the box's 401 with an
	 * empty body: give it the body again (freed with the message) */
	g_signal_connect_data(msg, "restarted", G_CALLBACK(on_restarted), b,
			      (GClosureNotify)(void (*)(void))g_bytes_unref, 0);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "SoapAction",
				     SERVICE "#" ACTION);
	g_signal_connect(msg, "authenticate", G_CALLBACK(on_authenticate), t);
	t->tries = 0;
	t->busy = g_cancellable_new();
	soup_session_send_and_read_async(t->session, msg, G_PRIORITY_DEFAULT, t->busy, on_reply, t);
	g_object_unref(msg);
	return 0;
}
