/* Small shared pieces: a byte buffer with JSON escaping, strict number parsing, full writes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

static void buf_reserve(struct buf *b, size_t extra)
{
	if (extra > SIZE_MAX / 2 - b->len)
		abort();
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		abort();
	b->data = p;
	b->cap = cap;
}

void buf_add(struct buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_json(struct buf *b, const char *s)
{
	buf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default:
			if (*p < 0x20)
				buf_fmt(b, "\\u%04x", *p);
			else
				buf_add(b, (const char *)p, 1);
		}
	}
	buf_add(b, "\"", 1);
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int parse_num(const char *s, int base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s >= '0' + base)
			return -1;
		uint64_t d = (uint64_t)(*s - '0');
		if (d > max || v > (max - d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return 0;
}

int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int report(int err, const char *msg, const char *reason)
{
	struct buf text = { 0 }, line = { 0 };
	buf_fmt(&text, "%s: %s", msg, reason ? reason : strerror(err));
	buf_str(&line, "{\"error\":");
	buf_json(&line, text.data);
	buf_fmt(&line, ",\"errno\":%d}\n", err);
	(void)write_all(STDERR_FILENO, line.data, line.len);
	buf_free(&text);
	buf_free(&line);
	return 1;
}

int report_about(int err, const char *what, const char *path, const char *reason)
{
	struct buf msg = { 0 };
	buf_fmt(&msg, "%s %s", what, path);
	report(err, msg.data, reason);
	buf_free(&msg);
	return 1;
}

int openat2_retry(int dirfd, const char *path, const struct open_how *how)
{
	for (int tries = 0;; tries++) {
		long fd = syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
		if (fd >= 0)
			return (int)fd;
		if ((errno != EAGAIN && errno != EINTR) || tries >= 32)
			return -1;
	}
}

int open_in_root(int root, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return openat2_retry(root, path, &how);
}

int parse_pid(const char *s, int *pid)
{
	uint64_t n;
	if (parse_num(s, 10, INT32_MAX, &n) < 0 || n < 2)
		return -1;
	*pid = (int)n;
	return 0;
}

int open_pid_ns(int pid, const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		errno = ESRCH; /* the process is gone; not a missing file */
	return fd;
}

int is_own_ns(int fd, const char *name)
{
	char path[64];
	struct stat self, other;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	if (stat(path, &self) < 0 || fstat(fd, &other) < 0)
		return -1;
	return same_inode(&self, &other);
}

int64_t host_id(int pid, const char *map, uint64_t id)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, map);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? (errno = ESRCH, -1) : -1;
	unsigned long long inside, outside, count;
	int64_t found = -1;
	while (found < 0 && fscanf(f, "%llu %llu %llu", &inside, &outside, &count) == 3)
		if (id >= inside && id - inside < count)
			found = (int64_t)(outside + (id - inside));
	fclose(f);
	if (found < 0)
		errno = EOVERFLOW;
	return found;
}

int64_t host_id_of_root(int pid, const char *map)
{
	return host_id(pid, map, 0);
}

int child_exit(pid_t pid, int block, int *code)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
	while (waitid(P_PID, (id_t)pid, &info, flags) < 0)
		if (errno != EINTR)
			return -1;
	if (info.si_pid != pid)
		return 0;
	*code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
	return 1;
}
