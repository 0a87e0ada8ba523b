/* netcat: bridges stdin/stdout with a unix socket (abstract with a leading "@"). rsync runs it as its
 * remote shell (-e) during migration, and the daemon relays the socket to the migration websocket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <stddef.h>
#include <sys/un.h>
#include <unistd.h>

#include "helper.h"

static int connect_unix(const char *name)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	size_t len = strlen(name);
	if (len == 0 || len >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Copies what one side has; returns 0 at end of file, -1 on error. */
static int pump(int from, int to)
{
	char buf[65536];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += w;
	}
	return 1;
}

int cmd_netcat(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: lodge-helper netcat SOCKET (an \"@name\" is an abstract socket)\n", stderr);
		return 2;
	}
	int sock = connect_unix(argv[1]);
	if (sock < 0) {
		fprintf(stderr, "lodge-helper netcat: connect %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct pollfd fds[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = sock, .events = POLLIN } };
	int in_open = 1;
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (in_open && (fds[0].revents & (POLLIN | POLLHUP))) {
			int r = pump(STDIN_FILENO, sock);
			if (r < 0)
				return 1;
			if (r == 0) {
				/* Our input ended: tell the peer, keep reading its answer. */
				shutdown(sock, SHUT_WR);
				in_open = 0;
				fds[0].fd = -1;
			}
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = pump(sock, STDOUT_FILENO);
			if (r <= 0)
				return r < 0 ? 1 : 0;
		}
	}
}
