/* Stage marks (see stages.h). */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stages.h"

/* The marks go to a shared mapping of the file, not through write(): a
 * realistic call makes 28 marks, and a system call each (strace: 28 of
 * the daemon's 211 a call) was time and CPU the figures then counted as the
 * call's. A reader sees the marks at once (the page cache is the
 * file's); the file is extended by MARKS_SPACE past what it held, and its
 * unwritten end reads as NUL bytes. */
#define MARKS_SPACE ((size_t)16 << 20) /* about 600,000 marks; then marks stop */

static pthread_once_t marks_once = PTHREAD_ONCE_INIT;
static char *marks; /* NULL: off */
static size_t marks_size;
static atomic_size_t marks_used;

const char *stage_name(enum stage s) {
	static const char *const names[STAGE_COUNT] = {
		[STAGE_READ] = "read",
		[STAGE_EVENT] = "event",
		[STAGE_MATCHED] = "matched",
		[STAGE_LOGGED] = "logged",
		[STAGE_HISTORY] = "history",
		[STAGE_HANDED] = "handed",
		[STAGE_SIGNAL] = "signal",
		[STAGE_NOTIFY_SENT] = "notify-sent",
		[STAGE_NOTIFY_REPLY] = "notify-reply",
		[STAGE_OUTPUTS] = "outputs",
		[STAGE_NCID_SENT] = "ncid-sent",
		[STAGE_WEB_SENT] = "web-sent",
	};
	return s >= 0 && s < STAGE_COUNT ? names[s] : "?";
}

static void open_marks(void) {
	const char *path = getenv("CTID_STAGES");
	if (path == NULL || path[0] == '\0') {
		return;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 0 ||
	    ftruncate(fd, st.st_size + (off_t)MARKS_SPACE) < 0) {
		if (fd >= 0) {
			close(fd);
		}
		return;
	}
	size_t size = (size_t)st.st_size + MARKS_SPACE;
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		return;
	}
	/* after an earlier run's marks, whose unwritten end reads as NULs */
	size_t used = (size_t)st.st_size;
	while (used > 0 && ((char *)map)[used - 1] == '\0') {
		used--;
	}
	atomic_store(&marks_used, used);
	marks_size = size;
	marks = map;
}

void stage_mark(enum stage s) {
	pthread_once(&marks_once, open_marks);
	if (marks == NULL) {
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* by hand: snprintf() was 1,300 instructions a mark, 24 marks a call,
	 * and the bench's callgrind count of a call included them */
	char digits[24];
	size_t nd = 0;
	unsigned long long ns =
		(unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
	do {
		digits[nd++] = (char)('0' + ns % 10);
		ns /= 10;
	} while (ns > 0);
	const char *name = stage_name(s);
	size_t len = strlen(name);
	char line[64];
	memcpy(line, name, len);
	line[len++] = ' ';
	while (nd > 0) {
		line[len++] = digits[--nd];
	}
	line[len++] = '\n';
	size_t at = atomic_fetch_add(&marks_used, len);
	if (at + len <= marks_size) {
		memcpy(marks + at, line, len);
	}
}
