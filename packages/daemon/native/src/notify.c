/* notify: one bodiless HTTP request to the daemon over its unix socket, for LXC hooks
 * (lxc.hook.post-stop): lxc-stop waits for the hook, so this must be quick and must never hang.
 * Everything happens under one deadline (default 2 s): connect, send, read the status line, then
 * the rest of the response (so the server sees a clean close) until EOF, the end of a
 * Content-Length body, or the deadline, whichever comes first.
 *
 * Exit status: 0 for a 2xx answer, 1 for any other status, 2 for bad arguments, 3 when no
 * status came (cannot connect, timeout, not HTTP); with --best-effort 0 for all but bad
 * arguments (a failing post-stop hook makes LXC turn a reboot into a stop). One line on stderr
 * says why. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

#define EXIT_STATUS 1
#define EXIT_USAGE 2
#define EXIT_TRANSPORT 3

static const char *method = "PUT";
static int best_effort;
static struct buf url;

__attribute__((format(printf, 2, 3))) static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lodge-helper notify: %s %s: ", method, url.data ? url.data : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return best_effort && code != EXIT_USAGE ? 0 : code;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline; 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0)
			return r < 0 ? -1 : 1;
	}
}

/* Appends "name=value" percent-encoded (RFC 3986 unreserved characters pass). */
static void add_query(struct buf *u, const char *name, const char *value)
{
	buf_str(u, strchr(u->data, '?') ? "&" : "?");
	for (int pass = 0; pass < 2; pass++) {
		for (const unsigned char *p = (const unsigned char *)(pass ? value : name); *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
				buf_add(u, (const char *)p, 1);
			else
				buf_fmt(u, "%%%02X", *p);
		}
		if (!pass)
			buf_str(u, "=");
	}
}

static int valid_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
			return 0;
	return 1;
}

static int valid_target(const char *s)
{
	if (s[0] != '/')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 0; /* nothing that could end or split the request line */
	return 1;
}

/* Connects to a unix socket; a path longer than sun_path goes through its directory's
 * /proc/self/fd entry. */
static int connect_unix(const char *path, long long deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int dir = -1;
	if (strlen(path) < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, path, strlen(path));
	} else {
		const char *slash = strrchr(path, '/');
		struct buf d = { 0 };
		buf_add(&d, path, slash ? (size_t)(slash - path) : 0);
		dir = open(d.len ? d.data : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		buf_free(&d);
		if (dir < 0)
			return -1;
		int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dir, slash ? slash + 1 : path);
		if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && (errno == EINPROGRESS || errno == EAGAIN)) {
		/* A full listen backlog: wait for room until the deadline. */
		while (r < 0 && (errno == EINPROGRESS || errno == EAGAIN)) {
			if (wait_fd(fd, POLLOUT, deadline) <= 0) {
				errno = ETIMEDOUT;
				break;
			}
			r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
			if (r < 0 && errno == EISCONN)
				r = 0;
		}
	}
	int err = errno;
	if (dir >= 0)
		close(dir);
	if (r < 0) {
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* The Content-Length of a header block, or -1. */
static long long content_length(const char *head)
{
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "content-length:", 15) == 0)
			return strtoll(p + 17, NULL, 10);
		if (p[2] == '\r')
			break;
	}
	return -1;
}

int cmd_notify(int argc, char **argv)
{
	const char *socket_path = NULL, *target = NULL;
	long long timeout = 2000;
	uint64_t n;
	const char *maps[64];
	int nmaps = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--best-effort") == 0) {
			best_effort = 1;
			continue;
		}
		if (i + 1 >= argc)
			return fail(EXIT_USAGE, "option %s needs a value", a);
		const char *v = argv[++i];
		if (strcmp(a, "--socket") == 0)
			socket_path = v;
		else if (strcmp(a, "--url") == 0)
			target = v;
		else if (strcmp(a, "--method") == 0 && valid_token(v))
			method = v;
		else if (strcmp(a, "--timeout-ms") == 0 && parse_num(v, 10, 600000, &n) == 0 && n > 0)
			timeout = (long long)n;
		else if (strcmp(a, "--env-query") == 0 && strchr(v, '=') && v[0] != '=' && nmaps < 64)
			maps[nmaps++] = v;
		else
			return fail(EXIT_USAGE, "bad option %s %s", a, v);
	}
	if (!target || !valid_target(target))
		return fail(EXIT_USAGE, "--url must be an absolute path without spaces or control characters");
	buf_str(&url, target);
	if (!socket_path || !*socket_path)
		return fail(EXIT_USAGE, "--socket is required");
	/* --env-query VAR=param: adds param=<value of VAR> when VAR is set (LXC_TARGET=target). */
	for (int i = 0; i < nmaps; i++) {
		const char *eq = strchr(maps[i], '=');
		struct buf var = { 0 };
		buf_add(&var, maps[i], (size_t)(eq - maps[i]));
		const char *val = getenv(var.data);
		if (val && eq[1])
			add_query(&url, eq + 1, val);
		buf_free(&var);
	}

	signal(SIGPIPE, SIG_IGN);
	long long deadline = now_ms() + timeout;
	int fd = connect_unix(socket_path, deadline);
	if (fd < 0)
		return fail(EXIT_TRANSPORT, "connect %s: %s", socket_path, strerror(errno));

	struct buf req = { 0 };
	buf_fmt(&req, "%s %s HTTP/1.1\r\nHost: lodge\r\nUser-Agent: lodge-helper\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		method, url.data);
	for (size_t off = 0; off < req.len;) {
		ssize_t w = send(fd, req.data + off, req.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLOUT, deadline) <= 0)
				return fail(EXIT_TRANSPORT, "timed out sending the request");
			continue;
		}
		if (w < 0)
			return fail(EXIT_TRANSPORT, "send: %s", strerror(errno));
		off += (size_t)w;
	}

	struct buf resp = { 0 };
	int status = -1;
	long long body_end = -1; /* offset in resp where the response ends, when known */
	for (;;) {
		if (status >= 0 && body_end >= 0 && (long long)resp.len >= body_end)
			break;
		int r = wait_fd(fd, POLLIN, deadline);
		if (r <= 0) {
			if (status >= 0)
				break; /* the answer is known; the rest of the body does not matter */
			if (r == 0)
				return fail(EXIT_TRANSPORT, "no answer within %lld ms", timeout);
			return fail(EXIT_TRANSPORT, "poll: %s", strerror(errno));
		}
		char chunk[4096];
		ssize_t got = recv(fd, chunk, sizeof(chunk), 0);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return status >= 0 ? 0 : fail(EXIT_TRANSPORT, "recv: %s", strerror(errno));
		if (got == 0)
			break;
		if (resp.len < 65536)
			buf_add(&resp, chunk, (size_t)got);
		if (status < 0 && strstr(resp.data, "\r\n")) {
			int code;
			if (sscanf(resp.data, "HTTP/1.%*1[01] %3d", &code) != 1 || code < 100 || code > 999)
				return fail(EXIT_TRANSPORT, "not an HTTP response");
			status = code;
		}
		const char *end = resp.data ? strstr(resp.data, "\r\n\r\n") : NULL;
		if (end && body_end < 0) {
			long long cl = content_length(resp.data);
			if (cl >= 0)
				body_end = (end - resp.data) + 4 + cl;
		}
	}
	close(fd);
	if (status < 0)
		return fail(EXIT_TRANSPORT, "the connection closed without an answer");
	if (status < 200 || status > 299) {
		char *eol = strstr(resp.data, "\r\n");
		*eol = '\0';
		return fail(EXIT_STATUS, "%s", resp.data);
	}
	return 0;
}
