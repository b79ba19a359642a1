/* Every route of the API and who may use it. The test compares this table
 * with openapi.json (tests/test_web.py), so the document cannot drift. */
#include "web_private.h"

#define SELLER	WEB_ROLE_SELLER
#define MANAGER WEB_ROLE_MANAGER
#define ADMIN	WEB_ROLE_ADMIN
#define NONE	WEB_ROLE_NONE

const struct web_route web_routes[] = {
	{"POST", "/api/v1/login", NONE, web_login},
	{"POST", "/api/v1/logout", SELLER, web_logout},
	{"GET", "/api/v1/session", SELLER, web_session},
	{"POST", "/api/v1/tokens", SELLER, web_token_new},
	{"POST", "/api/v1/links", SELLER, web_link_new},
	{"GET", "/api/v1/openapi.json", NONE, web_api_openapi},
	{"GET", "/api/v1/status", SELLER, web_api_status},
	{"GET", "/api/v1/lookup", SELLER, web_api_lookup},
	{"GET", "/api/v1/contacts", SELLER, web_api_contacts},
	{"POST", "/api/v1/contacts", SELLER, web_api_contact_add},
	{"GET", "/api/v1/contacts/{id}", SELLER, web_api_contact_get},
	{"PATCH", "/api/v1/contacts/{id}", SELLER, web_api_contact_patch},
	{"DELETE", "/api/v1/contacts/{id}", SELLER, web_api_contact_delete},
	{"POST", "/api/v1/contacts/{id}/merge", SELLER, web_api_contact_merge},
	{"POST", "/api/v1/contacts/{id}/notes", SELLER, web_api_note_add},
	{"POST", "/api/v1/contacts/{id}/reminders", SELLER, web_api_reminder_add},
	{"POST", "/api/v1/notes/{id}/close", SELLER, web_api_note_close},
	{"GET", "/api/v1/reminders", SELLER, web_api_reminders},
	{"DELETE", "/api/v1/reminders/{id}", SELLER, web_api_reminder_delete},
	{"GET", "/api/v1/requests", SELLER, web_api_requests},
	{"GET", "/api/v1/requests/arrived", SELLER, web_api_requests_arrived},
	{"GET", "/api/v1/calls", SELLER, web_api_calls},
	{"GET", "/api/v1/calls/{id}", SELLER, web_api_call_get},
	{"POST", "/api/v1/calls/{id}/handled", SELLER, web_api_call_handled},
	{"POST", "/api/v1/calls/{id}/callback", SELLER, web_api_call_callback},
	{"GET", "/api/v1/missed", SELLER, web_api_missed},
	{"POST", "/api/v1/dial", SELLER, web_api_dial},
	/* a WebSocket, answered before this table is looked at (web.c) */
	{"GET", "/api/v1/events", SELLER, NULL},
	{"GET", "/api/v1/report", MANAGER, web_api_report},
	{"GET", "/api/v1/export", MANAGER, web_api_export},
	{"GET", "/api/v1/users/{name}/activity", SELLER, web_api_activity},
	{"GET", "/api/v1/users", ADMIN, web_api_users},
	{"POST", "/api/v1/users", ADMIN, web_api_user_add},
	{"PATCH", "/api/v1/users/{name}", ADMIN, web_api_user_patch},
	{"DELETE", "/api/v1/users/{name}", ADMIN, web_api_user_delete},
	{"GET", "/api/v1/backup", ADMIN, web_api_backup},
	{"POST", "/api/v1/restore", ADMIN, web_api_restore},
	{"GET", "/api/v1/settings", ADMIN, web_api_settings},
	{NULL, NULL, NONE, NULL},
};
