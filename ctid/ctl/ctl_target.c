/*
 * Where a command's output goes (an export, a report). A file is written
 * as a private temporary file beside it (common/atomic_file.h), renamed
 * over it at the end, so that it is at every moment the old output or the
 * new one; through a symbolic link, beside the file the link names, so
 * that the link stays. What is not a file (a FIFO, a device, a terminal)
 * and an open descriptor (/dev/stdout, /dev/fd/N) are written directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

/* Whether path names a process's descriptor (in /proc), not a file of its own. */
static bool is_descriptor(const char *path) {
	char link[32];
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (strncmp(link, "/proc/", 6) == 0) {
			return true;
		}
	}
	char *copy = strdup(path);
	char *dir = copy != NULL ? realpath(dirname(copy), NULL) : NULL;
	bool proc = dir != NULL && strncmp(dir, "/proc/", 6) == 0;
	free(dir);
	free(copy);
	return proc;
}

static int open_direct(struct ctl_target *t, const struct stat *st) {
	/* a regular file behind a descriptor: after what the shell put there (>>) */
	int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | (S_ISREG(st->st_mode) ? O_APPEND : 0);
	int fd = open(t->path, flags);
	if (fd < 0 || (t->f = fdopen(fd, "w")) == NULL) {
		int err = errno;
		if (fd >= 0) {
			close(fd);
		}
		return ctl_fail("could not write %s: %s", t->path, strerror(err));
	}
	return 0;
}

int ctl_target_open(struct ctl_target *t, const char *path) {
	t->path = path;
	if (path == NULL) {
		t->f = stdout;
		return 0;
	}
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			return ctl_fail("could not write %s: it is a folder", path);
		}
		struct stat out;
		if (fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == st.st_dev &&
		    out.st_ino == st.st_ino && out.st_rdev == st.st_rdev) {
			t->is_stdout = true;
			t->f = stdout;
			return 0;
		}
		if (!S_ISREG(st.st_mode) || is_descriptor(path)) {
			return open_direct(t, &st);
		}
	} else if (errno != ENOENT) {
		return ctl_fail("could not write %s: %s", path, strerror(errno));
	} else if (lstat(path, &st) == 0) {
		return ctl_fail("could not write %s: a symbolic link to a file that does not exist",
				path);
	}
	int ret = atomic_file_begin(&t->file, path);
	if (ret < 0) {
		return ctl_fail("could not write %s: could not create a file beside it: %s", path,
				strerror(-ret));
	}
	t->f = atomic_file_stream(&t->file);
	if (t->f == NULL) {
		int err = errno;
		atomic_file_abort(&t->file);
		return ctl_fail("could not write %s: %s", path, strerror(err));
	}
	return 0;
}

int ctl_target_close(struct ctl_target *t, bool ok) {
	if (t->path == NULL) {
		return ok && fflush(stdout) == 0 ? 0 : CTL_ERROR;
	}
	int ret = 0;
	if (t->is_stdout) {
		if (ok && fflush(stdout) != 0) {
			ret = ctl_fail("could not write %s: %s", t->path, strerror(errno));
		}
		return ok && ret == 0 ? 0 : CTL_ERROR;
	}
	if (t->file.tmp != NULL) { /* written beside it */
		if (!ok) {
			atomic_file_abort(&t->file);
			return CTL_ERROR;
		}
		ret = atomic_file_commit(&t->file);
		if (ret < 0) {
			ctl_fail("could not write %s: %s", t->path, strerror(-ret));
			return CTL_ERROR;
		}
		return 0;
	}
	/* a FIFO, a device, a terminal: written directly, nothing to sync */
	if (ok && fflush(t->f) != 0) {
		ret = ctl_fail("could not write %s: %s", t->path, strerror(errno));
	}
	if (fclose(t->f) != 0 && ok && ret == 0) {
		ret = ctl_fail("could not write %s: %s", t->path, strerror(errno));
	}
	return ok && ret == 0 ? 0 : CTL_ERROR;
}
