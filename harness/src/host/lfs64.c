/*
 * Written by bele: the LFS64 names ("large file support": open64, lseek64, fstat64, ...)
 * that musl 1.2.4 and later no longer define in its static libc (its dynamic linker still
 * resolves them, for old binaries). Crates built against libc versions that declare and
 * call them (libc before 0.2.138 or so, getrandom 0.1 and 0.2.0 through it) then fail to
 * link against zig's musl: "undefined symbol: open64". On musl every file offset and size
 * is already 64 bits wide, so each name is the standard function under another name, as
 * musl's own aliases were. Weak, so a libc that still has them wins.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#define WEAK __attribute__((weak))

WEAK int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = va_arg(ap, mode_t);
	va_end(ap);
	return open(path, flags, mode);
}

WEAK int openat64(int dir, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = va_arg(ap, mode_t);
	va_end(ap);
	return openat(dir, path, flags, mode);
}

WEAK int creat64(const char *path, mode_t mode) { return creat(path, mode); }
WEAK off_t lseek64(int fd, off_t off, int whence) { return lseek(fd, off, whence); }
WEAK int fstat64(int fd, struct stat *st) { return fstat(fd, st); }
WEAK int stat64(const char *path, struct stat *st) { return stat(path, st); }
WEAK int lstat64(const char *path, struct stat *st) { return lstat(path, st); }
WEAK int fstatat64(int dir, const char *path, struct stat *st, int flags)
{
	return fstatat(dir, path, st, flags);
}
WEAK int ftruncate64(int fd, off_t len) { return ftruncate(fd, len); }
WEAK int truncate64(const char *path, off_t len) { return truncate(path, len); }
WEAK ssize_t pread64(int fd, void *buf, size_t n, off_t off) { return pread(fd, buf, n, off); }
WEAK ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}
WEAK ssize_t preadv64(int fd, const struct iovec *iov, int n, off_t off)
{
	return preadv(fd, iov, n, off);
}
WEAK ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
	return pwritev(fd, iov, n, off);
}
WEAK void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}
WEAK int posix_fadvise64(int fd, off_t off, off_t len, int advice)
{
	return posix_fadvise(fd, off, len, advice);
}
WEAK int posix_fallocate64(int fd, off_t off, off_t len) { return posix_fallocate(fd, off, len); }
WEAK int lockf64(int fd, int cmd, off_t len) { return lockf(fd, cmd, len); }
WEAK struct dirent *readdir64(DIR *d) { return readdir(d); }
WEAK int readdir64_r(DIR *d, struct dirent *e, struct dirent **out) { return readdir_r(d, e, out); }
WEAK int getrlimit64(int what, struct rlimit *r) { return getrlimit(what, r); }
WEAK int setrlimit64(int what, const struct rlimit *r) { return setrlimit(what, r); }
WEAK int statfs64(const char *path, struct statfs *buf) { return statfs(path, buf); }
WEAK int fstatfs64(int fd, struct statfs *buf) { return fstatfs(fd, buf); }
WEAK int statvfs64(const char *path, struct statvfs *buf) { return statvfs(path, buf); }
WEAK int fstatvfs64(int fd, struct statvfs *buf) { return fstatvfs(fd, buf); }
WEAK ssize_t sendfile64(int out, int in, off_t *off, size_t n) { return sendfile(out, in, off, n); }
WEAK FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }
WEAK FILE *freopen64(const char *path, const char *mode, FILE *f) { return freopen(path, mode, f); }
WEAK int fseeko64(FILE *f, off_t off, int whence) { return fseeko(f, off, whence); }
WEAK off_t ftello64(FILE *f) { return ftello(f); }
WEAK int fgetpos64(FILE *f, fpos_t *pos) { return fgetpos(f, pos); }
WEAK int fsetpos64(FILE *f, const fpos_t *pos) { return fsetpos(f, pos); }
WEAK FILE *tmpfile64(void) { return tmpfile(); }
WEAK int mkstemp64(char *tmpl) { return mkstemp(tmpl); }
WEAK int mkostemp64(char *tmpl, int flags) { return mkostemp(tmpl, flags); }
