#ifndef CTID_LOCK_H
#define CTID_LOCK_H

/*
 * UUCP lock files, so ctid, minicom, mgetty and ModemManager-aware tools do
 * not fight over one modem. The lock is LCK..<name> in /run/lock (else
 * /var/lock), HDB format: the owner's PID as ten right-aligned digits and a
 * newline. <name> is the resolved device's path below /dev with '/' turned
 * into '_' (/dev/ttyACM0 -> ttyACM0, /dev/pts/3 -> pts_3), or its basename
 * outside /dev.
 */

#include <stdbool.h>
#include <sys/types.h>

struct uucp_lock;

/*
 * Locks device (a path, symlinks are resolved) in lock_dir, or in /run/lock
 * else /var/lock when lock_dir is NULL. A lock left by a process that is
 * gone is removed and taken. Returns the lock, to be released with
 * uucp_lock_release(), or NULL with errno set: EBUSY when a live process
 * holds it (logged with its PID), ENOMEM. A lock directory that is missing
 * or not writable is not an error: the returned lock then holds no file
 * (logged at debug level).
 */
struct uucp_lock *uucp_lock_acquire(const char *device, const char *lock_dir);

/* Removes the lock file (if it is still ours) and frees. NULL is a no-op. */
void uucp_lock_release(struct uucp_lock *lock);

/* Whether a lock file is held (false when the lock directory was unusable). */
bool uucp_lock_held(const struct uucp_lock *lock);

/* The lock file's path ("" when none is held). */
const char *uucp_lock_get_path(const struct uucp_lock *lock);

/*
 * Reads the PID in the lock file at path (HDB ASCII or the old binary int).
 * Returns the PID, 0 when the file holds none, or a negative errno.
 */
pid_t uucp_lock_read_pid(const char *path);

#endif
