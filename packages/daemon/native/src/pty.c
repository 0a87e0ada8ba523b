/* attach --pty: the pseudo-terminal of an interactive command, taken from the container's own
 * devpts instance, and the relay between it and the helper's stdin/stdout (see README.md,
 * "attach --pty"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

#define PTMX_MAJOR 5 /* TTYAUX_MAJOR */
#define PTMX_MINOR 2
#define PTS_MAJOR 136 /* UNIX98_PTY_SLAVE_MAJOR: a pty's slave is (136, index) */

/* After the command exited, while other processes (background jobs) still hold the terminal:
 * output is relayed until none came for QUIET_MS, and for DRAIN_MS at most. Without other
 * holders the master reports the hangup at once and everything buffered is relayed. */
#define QUIET_MS 100
#define DRAIN_MS 1000

/* Sets owner and mode of the slave (index) of a still locked master from the devpts root: an
 * O_PATH lookup of a single name that cannot leave that devpts mount (a mount the container put
 * over the entry, or a symlink, is refused), checked to be that very pty before it is changed.
 * Nobody can open the slave before it is unlocked, so it never has the devpts default mode
 * (0620 for the container's tty group) while it can be opened. */
static int chown_locked_slave(int devpts, int master, int index, uid_t uid, gid_t gid)
{
	char name[16], proc[32];
	struct stat m, s;
	snprintf(name, sizeof(name), "%d", index);
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = openat2_retry(devpts, name, &how);
	if (fd < 0)
		return -1;
	if (fstat(master, &m) < 0 || fstat(fd, &s) < 0)
		goto fail;
	if (!S_ISCHR(s.st_mode) || s.st_dev != m.st_dev || s.st_rdev != makedev(PTS_MAJOR, (unsigned)index)) {
		errno = EXDEV;
		goto fail;
	}
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		goto fail;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (chmod(proc, 0600) < 0)
		goto fail;
	close(fd);
	return 0;
fail:;
	int err = errno;
	close(fd);
	errno = err;
	return -1;
}

int pty_open(int devpts, uid_t uid, gid_t gid, unsigned rows, unsigned cols, int *slave_out, int *index_out, const char **what)
{
	int master = -1, slave = -1, index = -1, zero = 0;
	struct stat st;
	struct statfs sfs;

	if (devpts >= 0) {
		*what = "devpts";
		if (fstatfs(devpts, &sfs) < 0)
			return -1;
		if (sfs.f_type != DEVPTS_SUPER_MAGIC) {
			errno = EINVAL;
			return -1;
		}
		struct open_how how = {
			.flags = O_RDWR | O_NOCTTY | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		*what = "open ptmx";
		master = openat2_retry(devpts, "ptmx", &how);
	} else {
		*what = "open /dev/ptmx";
		master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (master < 0)
		return -1;
	*what = "ptmx";
	if (fstat(master, &st) < 0)
		goto fail;
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(PTMX_MAJOR, PTMX_MINOR)) {
		errno = ENOTTY;
		goto fail;
	}
	if (devpts >= 0) {
		if (fstatfs(master, &sfs) < 0)
			goto fail;
		if (sfs.f_type != DEVPTS_SUPER_MAGIC) {
			errno = EXDEV;
			goto fail;
		}
	}
	*what = "TIOCGPTN";
	if (ioctl(master, TIOCGPTN, &index) < 0)
		goto fail;
	if (devpts >= 0) {
		*what = "chown pty";
		if (chown_locked_slave(devpts, master, index, uid, gid) < 0)
			goto fail;
	}
	*what = "unlock pty";
	if (ioctl(master, TIOCSPTLCK, &zero) < 0)
		goto fail;
	/* The slave from the master itself: no path lookup, and always the master's own peer. */
	*what = "TIOCGPTPEER";
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		goto fail;
	if (devpts < 0) {
		/* A host pty: nothing in the container can reach it; owner and mode as above. */
		*what = "chown pty";
		if (fchown(slave, uid, gid) < 0 || fchmod(slave, 0600) < 0)
			goto fail;
	}
	struct termios tio;
	*what = "termios";
	if (tcgetattr(slave, &tio) < 0)
		goto fail;
	tio.c_cflag |= HUPCL | CLOCAL; /* what LXD's ptys show (stty -a), otherwise the kernel's defaults */
	if (tcsetattr(slave, TCSANOW, &tio) < 0)
		goto fail;
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	*what = "TIOCSWINSZ";
	if (ioctl(master, TIOCSWINSZ, &ws) < 0)
		goto fail;
	*slave_out = slave;
	*index_out = index;
	return master;
fail:;
	int err = errno;
	if (slave >= 0)
		close(slave);
	close(master);
	errno = err;
	return -1;
}

/* A byte queue: data at [start, end) of a fixed buffer. */
struct queue {
	char data[65536];
	size_t start, end;
};

static size_t queue_len(const struct queue *q)
{
	return q->end - q->start;
}

/* Free room at the end, compacting first when that makes more. */
static size_t queue_room(struct queue *q)
{
	if (q->start > 0 && q->end == sizeof(q->data)) {
		memmove(q->data, q->data + q->start, queue_len(q));
		q->end -= q->start;
		q->start = 0;
	}
	return sizeof(q->data) - q->end;
}

static void queue_drop(struct queue *q, size_t n)
{
	q->start += n;
	if (q->start == q->end)
		q->start = q->end = 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One line of the control protocol: "resize ROWS COLS". Anything else is reported and ignored. */
static void control_line(int master, char *line)
{
	char *save = NULL, *verb = strtok_r(line, " \t", &save);
	char *rows = verb ? strtok_r(NULL, " \t", &save) : NULL;
	char *cols = rows ? strtok_r(NULL, " \t", &save) : NULL;
	uint64_t r, c;
	if (verb && strcmp(verb, "resize") == 0 && cols && !strtok_r(NULL, " \t", &save) && parse_num(rows, 10, 65535, &r) == 0 &&
	    parse_num(cols, 10, 65535, &c) == 0) {
		struct winsize ws = { .ws_row = (unsigned short)r, .ws_col = (unsigned short)c };
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			fprintf(stderr, "lodge-helper: TIOCSWINSZ: %s\n", strerror(errno));
		return;
	}
	if (verb)
		fprintf(stderr, "lodge-helper: ignoring control line \"%.64s\"\n", verb);
}

struct control {
	int fd;
	char line[128];
	size_t len;
	int overlong; /* skipping the rest of a line longer than line */
};

/* Reads what is there; 0 at end of file or error. */
static int control_read(struct control *ctl, int master)
{
	char buf[512];
	ssize_t n = read(ctl->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			ctl->line[ctl->len] = '\0';
			if (!ctl->overlong)
				control_line(master, ctl->line);
			ctl->len = 0;
			ctl->overlong = 0;
		} else if (ctl->len + 1 < sizeof(ctl->line))
			ctl->line[ctl->len++] = buf[i];
		else
			ctl->overlong = 1;
	}
	return 1;
}

enum { P_IN, P_OUT, P_MASTER, P_CTL, P_SIG, P_N };

int pty_relay(int master, int ctl_fd, pid_t pid, const sigset_t *set)
{
	static struct queue in, out; /* stdin -> master, master -> stdout */
	struct control ctl = { .fd = ctl_fd };
	int in_open = 1, out_open = 1, master_open = 1, exited = 0, hung_up = 0, code = EXIT_ATTACH_FAILED;
	int64_t exit_at = 0, last_data = 0;
	const pid_t self = getpid();

	int sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fprintf(stderr, "lodge-helper: signalfd: %s\n", strerror(errno));
		kill(pid, SIGKILL);
		child_exit(pid, 1, &code);
		return EXIT_ATTACH_FAILED;
	}
	int fl = fcntl(master, F_GETFL);
	if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0) {
		fprintf(stderr, "lodge-helper: fcntl: %s\n", strerror(errno));
		kill(pid, SIGKILL);
		child_exit(pid, 1, &code);
		return EXIT_ATTACH_FAILED;
	}

	for (;;) {
		if (exited && !master_open && (queue_len(&out) == 0 || !out_open))
			break;
		struct pollfd p[P_N];
		for (int i = 0; i < P_N; i++)
			p[i] = (struct pollfd){ .fd = -1 };
		if (in_open && !exited && queue_room(&in) > 0)
			p[P_IN] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		if (out_open && queue_len(&out) > 0)
			p[P_OUT] = (struct pollfd){ .fd = STDOUT_FILENO, .events = POLLOUT };
		if (master_open) {
			short ev = 0;
			if (queue_room(&out) > 0)
				ev |= POLLIN;
			if (queue_len(&in) > 0 && !hung_up)
				ev |= POLLOUT;
			/* Once the hangup is known it is not asked for again: poll would report it over and
			 * over. It is what ends the drain after the command exited. */
			if (ev || (exited && !hung_up))
				p[P_MASTER] = (struct pollfd){ .fd = master, .events = ev };
		}
		if (ctl.fd >= 0 && !exited)
			p[P_CTL] = (struct pollfd){ .fd = ctl.fd, .events = POLLIN };
		p[P_SIG] = (struct pollfd){ .fd = sfd, .events = POLLIN };

		int timeout = -1;
		if (exited && master_open && !hung_up) {
			if (queue_room(&out) == 0)
				last_data = now_ms(); /* stdout is slow: what waits in the pty is not quiet */
			int64_t deadline = last_data + QUIET_MS < exit_at + DRAIN_MS ? last_data + QUIET_MS : exit_at + DRAIN_MS;
			int64_t left = deadline - now_ms();
			if (left <= 0) {
				master_open = 0; /* background jobs still hold the terminal: stop here */
				continue;
			}
			timeout = (int)left;
		}
		if (poll(p, P_N, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "lodge-helper: poll: %s\n", strerror(errno));
			if (!exited) {
				kill(pid, SIGKILL);
				child_exit(pid, 1, &code);
			}
			return code;
		}

		if (p[P_SIG].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					continue;
				/* Signals from other processes go to the command; the kernel's own (SIGPIPE
				 * raised by a write of the helper's, for one) do not. */
				int sent = si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE || si.ssi_code == SI_TKILL;
				if (sent && (pid_t)si.ssi_pid != self && !exited)
					kill(pid, (int)si.ssi_signo);
			}
			if (!exited) {
				int r = child_exit(pid, 0, &code);
				if (r == 1) {
					exited = 1;
					exit_at = last_data = now_ms();
					in_open = 0;
					queue_drop(&in, queue_len(&in));
				} else if (r < 0) {
					perror("lodge-helper: waitid");
					return EXIT_ATTACH_FAILED;
				}
			}
		}

		if (p[P_IN].revents) {
			ssize_t n = read(STDIN_FILENO, in.data + in.end, queue_room(&in));
			if (n > 0)
				in.end += (size_t)n;
			else if (n == 0 || (errno != EINTR && errno != EAGAIN))
				in_open = 0; /* the terminal stays: the command ends through a signal */
		}

		if (p[P_MASTER].revents & POLLOUT) {
			ssize_t n = write(master, in.data + in.start, queue_len(&in));
			if (n > 0)
				queue_drop(&in, (size_t)n);
			else if (n < 0 && errno != EINTR && errno != EAGAIN)
				queue_drop(&in, queue_len(&in));
		}
		if (p[P_MASTER].revents & POLLHUP) {
			hung_up = 1; /* nobody holds the terminal: what is left is read, then EIO */
			queue_drop(&in, queue_len(&in));
		}
		if (p[P_MASTER].revents & (POLLIN | POLLHUP | POLLERR)) {
			size_t room = queue_room(&out);
			ssize_t n = room ? read(master, out.data + out.end, room) : 0;
			if (n > 0) {
				out.end += (size_t)n;
				last_data = now_ms();
			} else if (room && (n == 0 || (errno != EINTR && errno != EAGAIN))) {
				/* EIO: nobody holds the terminal any more (all output was read). */
				master_open = 0;
				queue_drop(&in, queue_len(&in));
			}
		}

		if (p[P_OUT].revents) {
			/* stdout may be shared with others and stay blocking: after POLLOUT a pipe or socket
			 * takes a page without blocking. */
			size_t len = queue_len(&out) < 4096 ? queue_len(&out) : 4096;
			ssize_t n = 0;
			if (p[P_OUT].revents & POLLOUT)
				n = write(STDOUT_FILENO, out.data + out.start, len);
			if (n > 0)
				queue_drop(&out, (size_t)n);
			else if (!(p[P_OUT].revents & POLLOUT) || (n < 0 && errno != EINTR && errno != EAGAIN))
				out_open = 0; /* the reader is gone: output is dropped from now on */
		}
		if (!out_open)
			queue_drop(&out, queue_len(&out));

		if (p[P_CTL].revents && !control_read(&ctl, master))
			ctl.fd = -1;
	}
	close(sfd);
	return code;
}
