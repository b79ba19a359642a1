#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"

struct uucp_lock {
	char path[PATH_MAX];
	bool held;
	pid_t pid;
};

/* LCK..name for a device path: below /dev keep the sub-path with '_'. */
static int lock_name(const char *device, char *out, size_t size) {
	char resolved[PATH_MAX];
	const char *p = device;
	if (realpath(device, resolved) != NULL) {
		p = resolved;
	}
	const char *name;
	if (strncmp(p, "/dev/", 5) == 0 && p[5] != '\0') {
		name = p + 5;
	} else {
		const char *slash = strrchr(p, '/');
		name = slash != NULL && slash[1] != '\0' ? slash + 1 : p;
	}
	int len = snprintf(out, size, "LCK..%s", name);
	if (len < 0 || (size_t)len >= size) {
		return -ENAMETOOLONG;
	}
	for (char *c = out + 5; *c != '\0'; c++) {
		if (*c == '/') {
			*c = '_';
		}
	}
	return 0;
}

pid_t uucp_lock_read_pid(const char *path) {
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		return -errno;
	}
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int err = errno;
	close(fd);
	if (n < 0) {
		return -err;
	}
	buf[n] = '\0';
	/* Old (Kermit, binary) locks hold a 4-byte int: four bytes that are not
	 * all ASCII digits and blanks (no PID is that large). */
	bool ascii = true;
	for (ssize_t i = 0; i < n; i++) {
		ascii = ascii && (isdigit((unsigned char)buf[i]) || isspace((unsigned char)buf[i]));
	}
	if (n == (ssize_t)sizeof(int) && !ascii) {
		int pid;
		memcpy(&pid, buf, sizeof(pid));
		return pid > 0 ? pid : 0;
	}
	char *p = buf;
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	char *end;
	errno = 0;
	long v = strtol(p, &end, 10);
	if (errno != 0 || end == p || v <= 0 || v > INT_MAX) {
		return 0;
	}
	return (pid_t)v;
}

static bool pid_alive(pid_t pid) {
	if (pid <= 0) {
		return false;
	}
	/* EPERM: it exists but belongs to someone else. */
	return kill(pid, 0) == 0 || errno == EPERM;
}

static int try_create(struct uucp_lock *l) {
	int fd = open(l->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		return -errno;
	}
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%10d\n", (int)l->pid);
	/* The umask must not make it unreadable for other tools. */
	(void)fchmod(fd, 0644);
	ssize_t n = write(fd, buf, (size_t)len);
	int err = errno;
	if (close(fd) < 0 && n == len) {
		n = -1;
		err = errno;
	}
	if (n != len) {
		unlink(l->path);
		return n < 0 ? -err : -EIO;
	}
	return 0;
}

static const char *default_dir(void) {
	static const char *const dirs[] = {"/run/lock", "/var/lock"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct stat st;
		if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			return dirs[i];
		}
	}
	return dirs[0];
}

struct uucp_lock *uucp_lock_acquire(const char *device, const char *lock_dir) {
	if (device == NULL || device[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	struct uucp_lock *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return NULL;
	}
	l->pid = getpid();
	const char *dir = lock_dir != NULL ? lock_dir : default_dir();
	char name[NAME_MAX];
	int len = lock_name(device, name, sizeof(name));
	if (len == 0) {
		len = snprintf(l->path, sizeof(l->path), "%s/%s", dir, name);
	}
	if (len < 0 || (size_t)len >= sizeof(l->path)) {
		free(l);
		errno = ENAMETOOLONG;
		return NULL;
	}

	/* Three rounds: a stale lock removed by us may be taken by another
	 * process racing with us; then it is theirs. */
	for (int round = 0; round < 3; round++) {
		int rc = try_create(l);
		if (rc == 0) {
			l->held = true;
			log_debug("Locked %s with %s", device, l->path);
			return l;
		}
		if (rc != -EEXIST) {
			/* Missing or read-only lock directory: no locking, as
			 * distributions without /run/lock for users do. */
			log_debug("Could not create lock %s: %s; using %s without a lock", l->path,
				  strerror(-rc), device);
			l->path[0] = '\0';
			return l;
		}
		struct stat st;
		if (lstat(l->path, &st) == 0 && !S_ISREG(st.st_mode)) {
			/* A symlink or other planted thing is no lock: remove the
			 * entry itself, never what it points to. */
			log_warn("Removing %s: not a regular file", l->path);
			if (unlink(l->path) < 0 && errno != ENOENT) {
				break;
			}
			continue;
		}
		pid_t pid = uucp_lock_read_pid(l->path);
		if (pid == -ENOENT) {
			continue;
		}
		if (pid > 0 && pid == l->pid) {
			log_error("Could not lock %s: %s is held by this process already", device,
				  l->path);
			free(l);
			errno = EBUSY;
			return NULL;
		}
		if (pid > 0 && pid_alive(pid)) {
			log_error("Could not open %s: in use by PID %d (lock %s)", device, (int)pid,
				  l->path);
			free(l);
			errno = EBUSY;
			return NULL;
		}
		log_info("Removing stale lock %s (PID %d is gone)", l->path, (int)pid);
		if (unlink(l->path) < 0 && errno != ENOENT) {
			int err = errno;
			log_error("Could not remove stale lock %s: %s", l->path, strerror(err));
			free(l);
			errno = err == EACCES || err == EPERM ? EBUSY : err;
			return NULL;
		}
	}
	log_error("Could not lock %s: %s keeps coming back", device, l->path);
	free(l);
	errno = EBUSY;
	return NULL;
}

void uucp_lock_release(struct uucp_lock *l) {
	if (l == NULL) {
		return;
	}
	/* Remove only a lock that still names us (after a fork the child
	 * must not remove its parent's lock). */
	if (l->held && uucp_lock_read_pid(l->path) == getpid()) {
		if (unlink(l->path) < 0) {
			log_debug("Could not remove lock %s: %s", l->path, strerror(errno));
		}
	}
	free(l);
}

bool uucp_lock_held(const struct uucp_lock *l) {
	return l != NULL && l->held;
}

const char *uucp_lock_get_path(const struct uucp_lock *l) {
	return l != NULL && l->held ? l->path : "";
}
