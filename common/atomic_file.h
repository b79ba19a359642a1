#ifndef CTID_ATOMIC_FILE_H
#define CTID_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * A file written beside its final path and renamed over it once complete
 * and on the disk: a reader finds the old file or the new one, never half
 * of one, and a power cut leaves one of the two.
 */
struct atomic_file {
	char *path; /* where it goes: a symbolic link's target when path was one */
	char *tmp;  /* the file being written, in the same folder */
	int fd;	    /* open for writing, mode 0600 */
	FILE *f;    /* atomic_file_stream()'s, on fd */
};

/*
 * Creates the temporary file beside path (path.tmp-XXXXXX, mode 0600,
 * close-on-exec). A symbolic link at path to a file is followed: its
 * target is replaced, the link stays. What is there must be a regular file
 * (else -EISDIR for a folder, -EINVAL for a device, a FIFO, a socket).
 * Returns 0, with af->fd open for writing, or -errno (nothing to undo). A 0 must be followed by
 * atomic_file_commit() or atomic_file_abort().
 */
int atomic_file_begin(struct atomic_file *af, const char *path);

/* Writes all of data to af->fd (short writes and signals go on). Returns
 * 0 or -errno. */
int atomic_file_write(struct atomic_file *af, const void *data, size_t len);

/* A stdio stream on af->fd, owned by af (commit flushes and closes it; a
 * write error it met fails the commit), or NULL with errno set. */
FILE *atomic_file_stream(struct atomic_file *af);

/*
 * Syncs the file, closes it, renames it over af->path and syncs the
 * folder. Returns 0 or -errno; on failure the temporary file is removed
 * and whatever was at the path stays. Either way af is finished.
 */
int atomic_file_commit(struct atomic_file *af);

/* Closes and removes the temporary file; af is finished. */
void atomic_file_abort(struct atomic_file *af);

/* The whole of begin, write and commit: path holds data, or what it held
 * before. Returns 0 or -errno. */
int atomic_file_put(const char *path, const void *data, size_t len);

#endif
