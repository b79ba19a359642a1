/* UUCP locks in a private directory: live, stale, planted symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "tap.h"

static char dir[256];
static char lockpath[PATH_MAX];

static void write_file(const char *path, const char *text) {
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static char *read_file(const char *path, char *buf, size_t size) {
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		size_t n = fread(buf, 1, size - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static void test_basic(void) {
	struct uucp_lock *l = uucp_lock_acquire("/dev/ttyACM0", dir);
	ok(l != NULL, "lock acquired");
	ok(uucp_lock_held(l), "lock file held");
	is_str(uucp_lock_get_path(l), lockpath, "named LCK..ttyACM0 in the lock dir");
	char buf[64], want[64];
	snprintf(want, sizeof(want), "%10d\n", (int)getpid());
	is_str(read_file(lockpath, buf, sizeof(buf)), want, "HDB format: 10-char PID and newline");
	struct stat st;
	ok(stat(lockpath, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0644");
	is_int(uucp_lock_read_pid(lockpath), getpid(), "PID reads back");

	errno = 0;
	struct uucp_lock *again = uucp_lock_acquire("/dev/ttyACM0", dir);
	ok(again == NULL && errno == EBUSY, "a second lock in the same process is busy");

	/* release(NULL) returns at once and touches no lock, not even one held. */
	uucp_lock_release(NULL);
	ok(uucp_lock_held(l) && access(lockpath, F_OK) == 0,
	   "release(NULL) leaves the lock that is held alone");
	uucp_lock_release(l);
	ok(access(lockpath, F_OK) < 0, "release removes the lock file");
}

static void test_live_other(void) {
	pid_t child = fork();
	if (child == 0) {
		sleep(30);
		_exit(0);
	}
	char text[32];
	snprintf(text, sizeof(text), "%10d\n", (int)child);
	write_file(lockpath, text);
	errno = 0;
	struct uucp_lock *l = uucp_lock_acquire("/dev/ttyACM0", dir);
	ok(l == NULL, "lock held by a live process is refused");
	is_int(errno, EBUSY, "with EBUSY");
	ok(access(lockpath, F_OK) == 0, "their lock file is left alone");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	/* Now the PID is of a reaped child: stale. */
	l = uucp_lock_acquire("/dev/ttyACM0", dir);
	ok(l != NULL && uucp_lock_held(l), "stale lock removed and taken");
	is_int(uucp_lock_read_pid(lockpath), getpid(), "lock now names us");
	uucp_lock_release(l);
}

static void test_garbage_and_binary(void) {
	write_file(lockpath, "not a pid\n");
	struct uucp_lock *l = uucp_lock_acquire("/dev/ttyACM0", dir);
	ok(l != NULL && uucp_lock_held(l), "lock holding garbage is stale");
	uucp_lock_release(l);

	/* The old binary format holding our parent's PID (alive), and one
	 * whose low byte is an ASCII digit. */
	int pid = (int)getppid();
	int digitlike = 22585; /* bytes 39 58 00 00: starts like "9X" */
	int dfd = open(lockpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(dfd >= 0 && write(dfd, &digitlike, sizeof(digitlike)) == (ssize_t)sizeof(digitlike),
	   "binary lock starting with '9' written");
	close(dfd);
	is_int(uucp_lock_read_pid(lockpath), digitlike, "binary PID whose first byte is a digit");
	int fd = open(lockpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(fd >= 0 && write(fd, &pid, sizeof(pid)) == (ssize_t)sizeof(pid), "binary lock written");
	close(fd);
	is_int(uucp_lock_read_pid(lockpath), pid, "binary PID read");
	errno = 0;
	l = uucp_lock_acquire("/dev/ttyACM0", dir);
	ok(l == NULL && errno == EBUSY, "binary lock of a live process is busy");
	unlink(lockpath);
}

static void test_symlink(void) {
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/precious", dir);
	write_file(target, "keep me\n");
	ok(symlink(target, lockpath) == 0, "symlink planted at the lock path");
	struct uucp_lock *l = uucp_lock_acquire("/dev/ttyACM0", dir);
	ok(l != NULL && uucp_lock_held(l), "lock taken despite the symlink");
	char buf[64];
	is_str(read_file(target, buf, sizeof(buf)), "keep me\n", "symlink target not written");
	struct stat st;
	ok(lstat(lockpath, &st) == 0 && S_ISREG(st.st_mode), "lock is a regular file");
	uucp_lock_release(l);
	ok(access(target, F_OK) == 0, "target still exists after release");
	unlink(target);
}

static void test_names_and_dirs(void) {
	/* A symlink to the device is resolved: both lock the same name. */
	char link[PATH_MAX];
	snprintf(link, sizeof(link), "%s/modem", dir);
	ok(symlink("/dev/null", link) == 0, "device symlink made");
	struct uucp_lock *l = uucp_lock_acquire(link, dir);
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "%s/LCK..null", dir);
	is_str(uucp_lock_get_path(l), want, "symlinked device locks the resolved name");
	uucp_lock_release(l);
	unlink(link);

	l = uucp_lock_acquire("/dev/pts/7", dir);
	snprintf(want, sizeof(want), "%s/LCK..pts_7", dir);
	is_str(uucp_lock_get_path(l), want, "sub-directory device gets '_'");
	uucp_lock_release(l);

	/* An unusable lock directory is not fatal. */
	l = uucp_lock_acquire("/dev/ttyACM0", "/nonexistent/lock/dir");
	ok(l != NULL, "missing lock dir still gives a lock object");
	ok(!uucp_lock_held(l), "holding no file");
	is_str(uucp_lock_get_path(l), "", "and no path");
	uucp_lock_release(l);
}

int main(void) {
	log_init("test_lock", LOG_WARN);
	snprintf(dir, sizeof(dir), "%s/ctid-lock-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(lockpath, sizeof(lockpath), "%s/LCK..ttyACM0", dir);
	test_basic();
	test_live_other();
	test_garbage_and_binary();
	test_symlink();
	test_names_and_dirs();
	rmdir(dir);
	return tap_done();
}
