/*
 * A fault-injecting SQLite VFS, as SQLite's own test harness has (test_vfs.c,
 * test_devsym.c): a shim over the default VFS that makes chosen operations
 * fail, on demand, in a real process. Loaded with LD_PRELOAD into ctid or
 * ctidctl, it registers itself as the default VFS when CTID_FAULTVFS names a
 * control file; without that variable it does nothing.
 *
 * The control file holds one fault per line, read again whenever it changes
 * (write a new file and rename it over the old one):
 *
 *   write=eio        writes fail with SQLITE_IOERR_WRITE (a failing disk)
 *   write=full       writes fail with SQLITE_FULL (a full disk)
 *   sync=eio         fsyncs fail with SQLITE_IOERR_FSYNC
 *   lock=busy        write locks are refused with SQLITE_BUSY (another writer)
 *   open=cantopen    opening fails with SQLITE_CANTOPEN (a vanished folder)
 *   readonly         the database opens read-only, as a file of mode 0400
 *                    does for its owner, and writes fail with
 *                    SQLITE_READONLY
 *
 * followed optionally by "after=N": the first N matching operations succeed.
 * An empty file injects nothing. Each injected fault is appended to the
 * file "$CTID_FAULTVFS.log" ("write eio /path/ctid.db-wal"), so a test can
 * tell a fault that happened from one that was never reached. Only the
 * database, its journal and its write-ahead log are affected.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum fault_op { OP_WRITE, OP_SYNC, OP_LOCK, OP_OPEN, OP_COUNT };

struct fault {
	bool on;
	int rc;		 /* what the operation returns */
	long after;	 /* matching operations let through before failing */
	const char *why; /* for the log */
};

static struct {
	sqlite3_vfs vfs;
	sqlite3_vfs *real;
	const char *control;
	char log[4096];
	struct stat seen;
	struct fault faults[OP_COUNT];
	bool readonly;
} shim;

struct shim_file {
	sqlite3_file base;
	sqlite3_file *real; /* follows this struct in the same allocation */
	bool tracked;	    /* database, journal or log */
	char path[512];
};

static void reload(void) {
	struct stat st;
	if (stat(shim.control, &st) < 0) {
		memset(&st, 0, sizeof(st));
	}
	if (st.st_ino == shim.seen.st_ino && st.st_size == shim.seen.st_size &&
	    st.st_mtim.tv_sec == shim.seen.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == shim.seen.st_mtim.tv_nsec) {
		return;
	}
	shim.seen = st;
	memset(shim.faults, 0, sizeof(shim.faults));
	shim.readonly = false;
	FILE *f = fopen(shim.control, "re");
	if (f == NULL) {
		return;
	}
	char line[256];
	while (fgets(line, sizeof(line), f) != NULL) {
		char what[64] = "";
		long after = 0;
		char *a = strstr(line, "after=");
		if (a != NULL) {
			after = strtol(a + 6, NULL, 10);
		}
		if (sscanf(line, "%63s", what) != 1) {
			continue;
		}
		static const struct {
			const char *word;
			enum fault_op op;
			int rc;
		} table[] = {
			{"write=eio", OP_WRITE, SQLITE_IOERR_WRITE},
			{"write=full", OP_WRITE, SQLITE_FULL},
			{"sync=eio", OP_SYNC, SQLITE_IOERR_FSYNC},
			{"lock=busy", OP_LOCK, SQLITE_BUSY},
			{"open=cantopen", OP_OPEN, SQLITE_CANTOPEN},
		};
		if (strcmp(what, "readonly") == 0) {
			shim.readonly = true;
			continue;
		}
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
			if (strcmp(what, table[i].word) == 0) {
				struct fault *ft = &shim.faults[table[i].op];
				*ft = (struct fault){true, table[i].rc, after, table[i].word};
			}
		}
	}
	fclose(f);
}

static void note(const char *what, const char *path) {
	int fd = open(shim.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		return;
	}
	char line[700];
	int n = snprintf(line, sizeof(line), "%s %s\n", what, path);
	if (n > 0 && write(fd, line, (size_t)n) < 0) {
		n = 0;
	}
	close(fd);
}

/* Returns the error to inject for op on file, or SQLITE_OK. */
static int inject(struct shim_file *f, enum fault_op op) {
	if (!f->tracked) {
		return SQLITE_OK;
	}
	reload();
	struct fault *ft = &shim.faults[op];
	if (!ft->on) {
		return SQLITE_OK;
	}
	if (ft->after > 0) {
		ft->after--;
		return SQLITE_OK;
	}
	char what[80];
	snprintf(what, sizeof(what), "%s", ft->why);
	*strchr(what, '=') = ' ';
	note(what, f->path);
	return ft->rc;
}

static int shim_close(sqlite3_file *file) {
	struct shim_file *f = (struct shim_file *)file;
	int rc = f->real->pMethods != NULL ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
	return rc;
}

static int shim_read(sqlite3_file *file, void *buf, int n, sqlite3_int64 off) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xRead(f->real, buf, n, off);
}

static int shim_write(sqlite3_file *file, const void *buf, int n, sqlite3_int64 off) {
	struct shim_file *f = (struct shim_file *)file;
	int rc = inject(f, OP_WRITE);
	if (rc == SQLITE_OK && f->tracked && shim.readonly) {
		note("readonly write", f->path);
		rc = SQLITE_READONLY;
	}
	return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, buf, n, off);
}

static int shim_truncate(sqlite3_file *file, sqlite3_int64 size) {
	struct shim_file *f = (struct shim_file *)file;
	int rc = inject(f, OP_WRITE);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int shim_sync(sqlite3_file *file, int flags) {
	struct shim_file *f = (struct shim_file *)file;
	int rc = inject(f, OP_SYNC);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int shim_file_size(sqlite3_file *file, sqlite3_int64 *size) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xFileSize(f->real, size);
}

static int shim_lock(sqlite3_file *file, int level) {
	struct shim_file *f = (struct shim_file *)file;
	if (level >= SQLITE_LOCK_RESERVED) {
		int rc = inject(f, OP_LOCK);
		if (rc != SQLITE_OK) {
			return rc;
		}
	}
	return f->real->pMethods->xLock(f->real, level);
}

static int shim_unlock(sqlite3_file *file, int level) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xUnlock(f->real, level);
}

static int shim_check_reserved(sqlite3_file *file, int *out) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int shim_file_control(sqlite3_file *file, int op, void *arg) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int shim_sector_size(sqlite3_file *file) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xSectorSize(f->real);
}

static int shim_device_characteristics(sqlite3_file *file) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* WAL mode: the write-ahead log's index is shared memory. With locks refused,
 * the shared-memory write lock is refused too (that is where WAL mode takes
 * its writer lock). */
static int shim_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **p) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, p);
}

static int shim_shm_lock(sqlite3_file *file, int offset, int n, int flags) {
	struct shim_file *f = (struct shim_file *)file;
	/* offset 0 is WAL_WRITE_LOCK in SQLite's shared-memory layout */
	if ((flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE) && offset == 0) {
		int rc = inject(f, OP_LOCK);
		if (rc != SQLITE_OK) {
			return rc;
		}
	}
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void shim_shm_barrier(sqlite3_file *file) {
	struct shim_file *f = (struct shim_file *)file;
	f->real->pMethods->xShmBarrier(f->real);
}

static int shim_shm_unmap(sqlite3_file *file, int del) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int shim_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **p) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xFetch(f->real, off, n, p);
}

static int shim_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p) {
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods shim_methods = {
	.iVersion = 3,
	.xClose = shim_close,
	.xRead = shim_read,
	.xWrite = shim_write,
	.xTruncate = shim_truncate,
	.xSync = shim_sync,
	.xFileSize = shim_file_size,
	.xLock = shim_lock,
	.xUnlock = shim_unlock,
	.xCheckReservedLock = shim_check_reserved,
	.xFileControl = shim_file_control,
	.xSectorSize = shim_sector_size,
	.xDeviceCharacteristics = shim_device_characteristics,
	.xShmMap = shim_shm_map,
	.xShmLock = shim_shm_lock,
	.xShmBarrier = shim_shm_barrier,
	.xShmUnmap = shim_shm_unmap,
	.xFetch = shim_fetch,
	.xUnfetch = shim_unfetch,
};

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
		     int *out_flags) {
	(void)vfs;
	struct shim_file *f = (struct shim_file *)file;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	f->tracked = (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL)) &&
		     name != NULL;
	snprintf(f->path, sizeof(f->path), "%s", name != NULL ? name : "(temporary)");
	int rc = inject(f, OP_OPEN);
	if (rc != SQLITE_OK) {
		return rc;
	}
	if ((flags & SQLITE_OPEN_MAIN_DB) && shim.readonly && (flags & SQLITE_OPEN_READWRITE)) {
		/* What the unix VFS does when open(O_RDWR) fails with EACCES or EROFS. */
		note("readonly open", f->path);
		flags = (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
			SQLITE_OPEN_READONLY;
	}
	rc = shim.real->xOpen(shim.real, name, f->real, flags, out_flags);
	if (rc == SQLITE_OK) {
		f->base.pMethods = &shim_methods;
	}
	return rc;
}

static int shim_delete(sqlite3_vfs *vfs, const char *name, int sync) {
	(void)vfs;
	return shim.real->xDelete(shim.real, name, sync);
}

static int shim_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
	(void)vfs;
	return shim.real->xAccess(shim.real, name, flags, out);
}

static int shim_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
	(void)vfs;
	return shim.real->xFullPathname(shim.real, name, n, out);
}

static int shim_randomness(sqlite3_vfs *vfs, int n, char *out) {
	(void)vfs;
	return shim.real->xRandomness(shim.real, n, out);
}

static int shim_sleep(sqlite3_vfs *vfs, int us) {
	(void)vfs;
	return shim.real->xSleep(shim.real, us);
}

static int shim_current_time(sqlite3_vfs *vfs, double *out) {
	(void)vfs;
	return shim.real->xCurrentTime(shim.real, out);
}

static int shim_last_error(sqlite3_vfs *vfs, int n, char *out) {
	(void)vfs;
	return shim.real->xGetLastError(shim.real, n, out);
}

static int shim_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
	(void)vfs;
	return shim.real->xCurrentTimeInt64(shim.real, out);
}

__attribute__((constructor)) static void shim_register(void) {
	shim.control = getenv("CTID_FAULTVFS");
	if (shim.control == NULL || shim.control[0] == '\0') {
		return;
	}
	snprintf(shim.log, sizeof(shim.log), "%s.log", shim.control);
	shim.real = sqlite3_vfs_find(NULL);
	if (shim.real == NULL) {
		return;
	}
	shim.vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct shim_file) + shim.real->szOsFile,
		.mxPathname = shim.real->mxPathname,
		.zName = "ctid-fault",
		.xOpen = shim_open,
		.xDelete = shim_delete,
		.xAccess = shim_access,
		.xFullPathname = shim_full_pathname,
		.xRandomness = shim_randomness,
		.xSleep = shim_sleep,
		.xCurrentTime = shim_current_time,
		.xGetLastError = shim_last_error,
		.xCurrentTimeInt64 = shim_current_time64,
	};
	sqlite3_vfs_register(&shim.vfs, 1);
}
