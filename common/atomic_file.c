#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"

static void finish(struct atomic_file *af) {
	free(af->path);
	free(af->tmp);
	*af = (struct atomic_file){.fd = -1};
}

int atomic_file_begin(struct atomic_file *af, const char *path) {
	*af = (struct atomic_file){.fd = -1};
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		af->path = realpath(path, NULL); /* (a link to nothing: ENOENT) */
	} else {
		af->path = strdup(path);
	}
	if (af->path == NULL || asprintf(&af->tmp, "%s.tmp-XXXXXX", af->path) < 0) {
		int err = af->path == NULL ? errno : ENOMEM;
		af->tmp = NULL;
		finish(af);
		return -err;
	}
	if (stat(af->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		finish(af); /* a device renamed over, a folder: not this */
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	af->fd = mkostemp(af->tmp, O_CLOEXEC); /* mode 0600 */
	if (af->fd < 0) {
		int err = errno;
		finish(af);
		return -err;
	}
	return 0;
}

int atomic_file_write(struct atomic_file *af, const void *data, size_t len) {
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(af->fd, p, len);
		if (n < 0 && errno != EINTR) {
			return -errno;
		}
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

FILE *atomic_file_stream(struct atomic_file *af) {
	if (af->f == NULL) {
		af->f = fdopen(af->fd, "w");
	}
	return af->f;
}

/* Closes the file (its stream, if it has one); 0 or -errno. */
static int close_file(struct atomic_file *af) {
	int ret = 0;
	if (af->f != NULL) {
		if (fflush(af->f) != 0) {
			ret = -errno;
		} else if (ferror(af->f)) {
			ret = -EIO; /* a write that failed earlier */
		}
		if (fclose(af->f) != 0 && ret == 0) {
			ret = -errno;
		}
	} else if (close(af->fd) < 0) {
		ret = -errno;
	}
	af->f = NULL;
	af->fd = -1;
	return ret;
}

/* The folder's entry for the renamed file onto the disk too. */
static int sync_folder(const char *path) {
	char *copy = strdup(path);
	if (copy == NULL) {
		return -ENOMEM;
	}
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0) {
		return -errno;
	}
	int ret = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

int atomic_file_commit(struct atomic_file *af) {
	int ret = af->f != NULL && fflush(af->f) != 0 ? -errno : 0;
	if (ret == 0 && fsync(af->fd) < 0) {
		ret = -errno;
	}
	int closed = close_file(af);
	ret = ret < 0 ? ret : closed;
	if (ret == 0 && rename(af->tmp, af->path) < 0) {
		ret = -errno;
	}
	if (ret < 0) {
		unlink(af->tmp);
	} else {
		sync_folder(af->path); /* (the file is in place either way) */
	}
	finish(af);
	return ret;
}

void atomic_file_abort(struct atomic_file *af) {
	if (af->fd >= 0) {
		close_file(af);
	}
	if (af->tmp != NULL) {
		unlink(af->tmp);
	}
	finish(af);
}

int atomic_file_put(const char *path, const void *data, size_t len) {
	struct atomic_file af;
	int ret = atomic_file_begin(&af, path);
	if (ret == 0 && (ret = atomic_file_write(&af, data, len)) < 0) {
		atomic_file_abort(&af);
	} else if (ret == 0) {
		ret = atomic_file_commit(&af);
	}
	return ret;
}
