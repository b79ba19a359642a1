/* Opening a page in the user's browser (see browser.h). */
#include <errno.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "browser.h"
#include "log.h"

int browser_open(const char *url) {
	const char *env = getenv("BROWSER");
	GError *err = NULL;
	if (env != NULL && env[0] != '\0') {
		char *program = g_strndup(env, strcspn(env, ":"));
		char *argv[] = {program, (char *)url, NULL};
		gboolean ok = g_spawn_async(NULL, argv, NULL,
					    G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL |
						    G_SPAWN_STDOUT_TO_DEV_NULL,
					    NULL, NULL, NULL, &err);
		if (!ok) {
			log_error("Could not run %s ($BROWSER): %s", program, err->message);
			g_error_free(err);
		}
		g_free(program);
		return ok ? 0 : -ENOENT;
	}
	if (!g_app_info_launch_default_for_uri(url, NULL, &err)) {
		log_error("Could not open a web browser: %s (set $BROWSER, or open %s)",
			  err->message, url);
		g_error_free(err);
		return -ENOENT;
	}
	return 0;
}
