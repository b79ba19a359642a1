/* Stage marks (see stages.h). */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "stages.h"

/* -2: not looked at yet; -1: off; else the file. */
static atomic_int stages_fd = -2;

const char *stage_name(enum stage s) {
	static const char *const names[STAGE_COUNT] = {
		[STAGE_READ] = "read",
		[STAGE_EVENT] = "event",
		[STAGE_MATCHED] = "matched",
		[STAGE_LOGGED] = "logged",
		[STAGE_HISTORY] = "history",
		[STAGE_SIGNAL] = "signal",
		[STAGE_HANDED] = "handed",
		[STAGE_NOTIFY_SENT] = "notify-sent",
		[STAGE_NOTIFY_REPLY] = "notify-reply",
		[STAGE_OUTPUTS] = "outputs",
		[STAGE_NCID_SENT] = "ncid-sent",
		[STAGE_WEB_SENT] = "web-sent",
	};
	return s >= 0 && s < STAGE_COUNT ? names[s] : "?";
}

static int open_file(void) {
	const char *path = getenv("CTID_STAGES");
	int fd = path != NULL && path[0] != '\0'
			 ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)
			 : -1;
	int expected = -2;
	if (!atomic_compare_exchange_strong(&stages_fd, &expected, fd < 0 ? -1 : fd) && fd >= 0) {
		close(fd); /* another thread was first */
	}
	return atomic_load(&stages_fd);
}

void stage_mark(enum stage s) {
	int fd = atomic_load_explicit(&stages_fd, memory_order_relaxed);
	if (fd == -1) {
		return;
	}
	if (fd == -2) {
		fd = open_file();
		if (fd < 0) {
			return;
		}
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char line[64];
	int n = snprintf(line, sizeof(line), "%s %lld\n", stage_name(s),
			 (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (write(fd, line, (size_t)n) < 0) {
		atomic_store(&stages_fd, -1); /* the file went: marks are off */
	}
}
