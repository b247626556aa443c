// An LD_PRELOAD shim that simulates a power loss in the process it is loaded into.
//
// It watches the store's files (the database, its -wal and its -journal; the -shm index is rebuilt by
// SQLite after a crash and is left alone) and keeps, for each, a shadow copy of its content as of the
// last completed fsync/fdatasync — "what the disk holds". Every write, truncate, unlink and sync of a
// watched file is one numbered event. Before event POWERLOSS_CRASH_AT (1-based), or at process exit when
// POWERLOSS_CRASH_AT_EXIT=1, it "loses power": every watched file is put back to its shadow (a file never
// synced since it was created is removed), so each write not covered by a completed sync is gone, and the
// process ends at once with exit status 86, running nothing else.
//
// Directory entries are taken as durable as soon as they change (a created file exists once it has
// been synced; an unlink is final): the shim models lost file contents, not lost renames.
//
// POWERLOSS_DB       the database path, exactly as the program opens it (required)
// POWERLOSS_SHADOW   a directory for the shadow copies (required)
// POWERLOSS_CRASH_AT the event to crash before; 0 or unset: never
// POWERLOSS_CRASH_AT_EXIT  1: crash when the process exits normally
// POWERLOSS_REPORT   a file to write the number of events to at a normal exit
// POWERLOSS_SYNCHRONOUS    a negative control: rewrites every `PRAGMA synchronous = …` the program
//                    prepares to `PRAGMA synchronous = <this value>` (e.g. OFF, NORMAL)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define WATCHED 3
#define MAX_FD 4096

static const char *suffixes[WATCHED] = {"", "-wal", "-journal"};
static char paths[WATCHED][4096];
static char shadows[WATCHED][4096];
static int durable_exists[WATCHED];
static signed char fd_file[MAX_FD];
static long events;
static long crash_at;
static int crash_at_exit;
static int ready;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_unlink)(const char *);

static void resolve(void) {
    real_open = dlsym(RTLD_NEXT, "open");
    real_open64 = dlsym(RTLD_NEXT, "open64");
    real_openat = dlsym(RTLD_NEXT, "openat");
    real_close = dlsym(RTLD_NEXT, "close");
    real_write = dlsym(RTLD_NEXT, "write");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite");
    real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
    real_writev = dlsym(RTLD_NEXT, "writev");
    real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
    real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_unlink = dlsym(RTLD_NEXT, "unlink");
}

static void die(const char *message) {
    fprintf(stderr, "powerloss-shim: %s: %s\n", message, strerror(errno));
    _exit(99);
}

// Copies `from` to `to` with the real calls (the copy itself is never an event).
static void copy_file(const char *from, const char *to) {
    int in = real_open(from, O_RDONLY);
    if (in < 0) die(from);
    int out = real_open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0) die(to);
    char buffer[65536];
    for (;;) {
        ssize_t count = read(in, buffer, sizeof buffer);
        if (count < 0) die("read");
        if (count == 0) break;
        for (ssize_t done = 0; done < count;) {
            ssize_t wrote = real_write(out, buffer + done, (size_t)(count - done));
            if (wrote < 0) die("write");
            done += wrote;
        }
    }
    real_close(in);
    real_close(out);
}

static void remember_durable(int file) {
    struct stat info;
    if (stat(paths[file], &info) == 0) {
        copy_file(paths[file], shadows[file]);
        durable_exists[file] = 1;
    } else {
        durable_exists[file] = 0;
    }
}

static void lose_power(void) {
    ready = 0;
    for (int file = 0; file < WATCHED; file++) {
        if (durable_exists[file]) {
            copy_file(shadows[file], paths[file]);
        } else if (real_unlink(paths[file]) != 0 && errno != ENOENT) {
            die("unlink");
        }
    }
    _exit(86);
}

static void event(void) {
    events++;
    if (crash_at > 0 && events == crash_at) lose_power();
}

static int watched_path(const char *path) {
    if (!ready || path == NULL) return -1;
    for (int file = 0; file < WATCHED; file++) {
        if (strcmp(path, paths[file]) == 0) return file;
    }
    return -1;
}

static int watched_fd(int fd) {
    return ready && fd >= 0 && fd < MAX_FD ? fd_file[fd] : -1;
}

static void opened(int fd, const char *path) {
    if (fd >= 0 && fd < MAX_FD) fd_file[fd] = (signed char)watched_path(path);
}

__attribute__((constructor)) static void start(void) {
    resolve();
    memset(fd_file, -1, sizeof fd_file);
    const char *db = getenv("POWERLOSS_DB"), *shadow = getenv("POWERLOSS_SHADOW");
    if (db == NULL || shadow == NULL) return;
    for (int file = 0; file < WATCHED; file++) {
        snprintf(paths[file], sizeof paths[file], "%s%s", db, suffixes[file]);
        snprintf(shadows[file], sizeof shadows[file], "%s/durable%s", shadow, suffixes[file]);
        remember_durable(file);
    }
    const char *at = getenv("POWERLOSS_CRASH_AT");
    crash_at = at ? atol(at) : 0;
    const char *at_exit = getenv("POWERLOSS_CRASH_AT_EXIT");
    crash_at_exit = at_exit && strcmp(at_exit, "1") == 0;
    // What the program prints is taken as said the moment it prints it.
    setvbuf(stdout, NULL, _IONBF, 0);
    ready = 1;
}

__attribute__((destructor)) static void finish(void) {
    if (!ready) return;
    const char *report = getenv("POWERLOSS_REPORT");
    if (report) {
        FILE *out = fopen(report, "w");
        if (out) {
            fprintf(out, "%ld\n", events);
            fclose(out);
        }
    }
    if (crash_at_exit) lose_power();
}

static mode_t mode_argument(int flags, va_list arguments) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(arguments, int) : 0;
}

int open(const char *path, int flags, ...) {
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    if (!real_open) resolve();
    int fd = real_open(path, flags, mode);
    opened(fd, path);
    return fd;
}

int open64(const char *path, int flags, ...) {
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    if (!real_open64) resolve();
    int fd = real_open64(path, flags, mode);
    opened(fd, path);
    return fd;
}

int openat(int directory, const char *path, int flags, ...) {
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    if (!real_openat) resolve();
    int fd = real_openat(directory, path, flags, mode);
    opened(fd, path);
    return fd;
}

int close(int fd) {
    if (!real_close) resolve();
    if (fd >= 0 && fd < MAX_FD) fd_file[fd] = -1;
    return real_close(fd);
}

ssize_t write(int fd, const void *buffer, size_t count) {
    if (!real_write) resolve();
    if (watched_fd(fd) >= 0) event();
    return real_write(fd, buffer, count);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    if (!real_pwrite) resolve();
    if (watched_fd(fd) >= 0) event();
    return real_pwrite(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
    if (!real_pwrite64) resolve();
    if (watched_fd(fd) >= 0) event();
    return real_pwrite64(fd, buffer, count, offset);
}

ssize_t writev(int fd, const struct iovec *vector, int count) {
    if (!real_writev) resolve();
    if (watched_fd(fd) >= 0) event();
    return real_writev(fd, vector, count);
}

int ftruncate(int fd, off_t length) {
    if (!real_ftruncate) resolve();
    if (watched_fd(fd) >= 0) event();
    return real_ftruncate(fd, length);
}

int ftruncate64(int fd, off_t length) {
    if (!real_ftruncate64) resolve();
    if (watched_fd(fd) >= 0) event();
    return real_ftruncate64(fd, length);
}

static int synced(int fd, int result) {
    int file = watched_fd(fd);
    if (result == 0 && file >= 0) remember_durable(file);
    return result;
}

int fsync(int fd) {
    if (!real_fsync) resolve();
    if (watched_fd(fd) >= 0) event();
    return synced(fd, real_fsync(fd));
}

int fdatasync(int fd) {
    if (!real_fdatasync) resolve();
    if (watched_fd(fd) >= 0) event();
    return synced(fd, real_fdatasync(fd));
}

int unlink(const char *path) {
    if (!real_unlink) resolve();
    int file = watched_path(path);
    if (file >= 0) event();
    int result = real_unlink(path);
    if (result == 0 && file >= 0) durable_exists[file] = 0;
    return result;
}

// The negative control: the program's own `PRAGMA synchronous` is replaced before SQLite sees it.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
static int (*real_prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
static int (*real_prepare_v3)(sqlite3 *, const char *, int, unsigned int, sqlite3_stmt **, const char **);

static const char *downgraded(const char *sql, int length, const char **end) {
    static char replacement[64];
    const char *level = getenv("POWERLOSS_SYNCHRONOUS");
    if (level == NULL || sql == NULL) return NULL;
    size_t size = length >= 0 ? (size_t)length : strlen(sql);
    const char *start = sql;
    while (start < sql + size && (*start == ' ' || *start == '\n' || *start == '\t')) start++;
    if (strncasecmp(start, "PRAGMA synchronous", 18) != 0) return NULL;
    const char *stop = memchr(start, ';', size - (size_t)(start - sql));
    *end = stop ? stop + 1 : sql + size;
    snprintf(replacement, sizeof replacement, "PRAGMA synchronous = %s", level);
    return replacement;
}

int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int length, sqlite3_stmt **statement, const char **tail) {
    if (!real_prepare_v2) real_prepare_v2 = dlsym(RTLD_NEXT, "sqlite3_prepare_v2");
    const char *end;
    const char *replacement = downgraded(sql, length, &end);
    if (replacement == NULL) return real_prepare_v2(db, sql, length, statement, tail);
    int result = real_prepare_v2(db, replacement, -1, statement, NULL);
    if (tail) *tail = end;
    return result;
}

int sqlite3_prepare_v3(sqlite3 *db, const char *sql, int length, unsigned int flags, sqlite3_stmt **statement,
                       const char **tail) {
    if (!real_prepare_v3) real_prepare_v3 = dlsym(RTLD_NEXT, "sqlite3_prepare_v3");
    const char *end;
    const char *replacement = downgraded(sql, length, &end);
    if (replacement == NULL) return real_prepare_v3(db, sql, length, flags, statement, tail);
    int result = real_prepare_v3(db, replacement, -1, flags, statement, NULL);
    if (tail) *tail = end;
    return result;
}
