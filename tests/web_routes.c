/*
 * Prints the web API's route table (ctid/web/routes.c) as JSON lines
 * {"method", "path", "role"}, for test_web.py to compare with the OpenAPI
 * document the server serves.
 */
#include <stdio.h>

#include "web_private.h"

int main(void) {
	static const char *const roles[] = {"seller", "manager", "admin"};
	for (const struct web_route *r = web_routes; r->pattern != NULL; r++) {
		printf("{\"method\":\"%s\",\"path\":\"%s\",\"role\":\"%s\"}\n", r->method,
		       r->pattern, r->role == WEB_ROLE_NONE ? "none" : roles[r->role]);
	}
	return 0;
}
