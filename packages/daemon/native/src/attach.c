/* attach: run a command inside a running container through liblxc, as `lxd forkexec` does,
 * with a working directory, uid/gid and a cleared environment. stdio is inherited from the
 * helper (pipes set up by lodged), or with --pty a pseudo-terminal from the container's own
 * devpts that the helper relays to its stdin/stdout (pty.c). The helper waits for the command,
 * forwards the signals it is sent, and exits with the command's status (128+N when killed by
 * signal N). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lxc/attach_options.h>
#include <lxc/lxccontainer.h>

#include "helper.h"

struct command {
	char **argv;
	sigset_t mask; /* the helper's original signal mask, restored in the command */
	int pty;       /* stdio is a pty that must be the controlling terminal */
};

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("lodge-helper: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_ATTACH_FAILED;
}

/* Runs in the attached process, inside the container, after liblxc switched namespaces,
 * cgroup, credentials and environment. Never returns. */
static int exec_command(void *payload)
{
	struct command *cmd = payload;

	/* The command gets a clean signal state, and dies with the helper: lodged ends a command
	 * with SIGKILL by killing the helper (SIGKILL cannot be forwarded). */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* fails harmlessly for KILL, STOP and glibc's internal ones */
	sigprocmask(SIG_SETMASK, &cmd->mask, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	/* liblxc already made stdin (a terminal passed as stdin_fd) the controlling terminal of a
	 * new session; this only makes sure of it. */
	if (cmd->pty) {
		if (getsid(0) != getpid())
			setsid();
		if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0) {
			fprintf(stderr, "lodge-helper: cannot make the pty the controlling terminal: %s\n", strerror(errno));
			_exit(EXIT_ATTACH_FAILED);
		}
	}

	execvp(cmd->argv[0], cmd->argv);
	int err = errno;
	fprintf(stderr, "lodge-helper: %s: %s\n", cmd->argv[0], strerror(err));
	_exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

/* Whether id is mapped in the user namespace of process pid (map: "uid_map" or "gid_map"). liblxc
 * would otherwise fail silently with exit status 1 inside the attached process. */
static int id_mapped(pid_t pid, const char *map, uint64_t id)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, map);
	FILE *f = fopen(path, "re");
	if (!f)
		return 1; /* cannot tell: let liblxc decide */
	unsigned long long inside, outside, count;
	int found = 0;
	while (!found && fscanf(f, "%llu %llu %llu", &inside, &outside, &count) == 3)
		found = id >= inside && id - inside < count;
	fclose(f);
	return found;
}

/* A pty for the command, from the container's devpts instance (liblxc's devpts_fd(), the mount
 * LXC made at /dev/pts, held by the container's monitor) or, for a container without one, the
 * host's. The slave is owned by uid:gid (host ids of the container's ones). Returns the master,
 * or -1 after reporting on stderr. */
static int open_pty(struct lxc_container *c, pid_t init, uint64_t uid, uint64_t gid, unsigned rows, unsigned cols, int *slave)
{
	int64_t huid = host_id(init, "uid_map", uid), hgid = host_id(init, "gid_map", gid);
	if (huid < 0 || hgid < 0) {
		fail("cannot map uid %llu / gid %llu of container %s to the host: %s", (unsigned long long)uid, (unsigned long long)gid,
		     c->name, strerror(errno));
		return -1;
	}
	int devpts = c->devpts_fd(c);
	const char *what = "";
	int index = -1;
	int master = pty_open(devpts >= 0 ? devpts : -1, (uid_t)huid, (gid_t)hgid, rows, cols, slave, &index, &what);
	int err = errno;
	if (devpts >= 0)
		close(devpts);
	if (master < 0) {
		fail("cannot allocate a pty%s: %s: %s", devpts >= 0 ? " in the container's devpts" : "", what, strerror(err));
		return -1;
	}
	return master;
}

/* Every signal that can be caught, except SIGCHLD, is forwarded to the command. */
static void forwarded_signals(sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig <= SIGRTMAX; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
			sigaddset(set, sig); /* refuses glibc's reserved signals, which is right */
}

static int wait_and_forward(pid_t pid, const sigset_t *set)
{
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r < 0 && errno != EINTR) {
			perror("lodge-helper: waitpid");
			return EXIT_ATTACH_FAILED;
		}
		if (r == pid) {
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
			continue; /* stopped or continued: keep waiting */
		}

		siginfo_t info;
		int sig = sigwaitinfo(set, &info);
		if (sig < 0 || sig == SIGCHLD)
			continue;
		/* Only signals sent by a process (kill, sigqueue, tgkill) are forwarded. Signals the
		 * kernel raises for a terminal (^C, window size, hangup) already reach the command,
		 * which shares the helper's process group; forwarding them would deliver them twice. */
		if (info.si_code == SI_USER || info.si_code == SI_QUEUE || info.si_code == SI_TKILL)
			kill(pid, sig);
	}
}

/* "ROWSxCOLS", each 0..65535. */
static int parse_size(const char *s, unsigned *rows, unsigned *cols)
{
	char buf[32];
	const char *x = strchr(s, 'x');
	uint64_t r, c;
	if (!x || (size_t)(x - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(x - s));
	buf[x - s] = '\0';
	if (parse_num(buf, 10, 65535, &r) < 0 || parse_num(x + 1, 10, 65535, &c) < 0)
		return -1;
	*rows = (unsigned)r;
	*cols = (unsigned)c;
	return 0;
}

/* Closes every descriptor from 3 up except keep (-1: none), which becomes close-on-exec. */
static int close_inherited(int keep)
{
	if (keep < 0)
		return close_range(3, ~0U, 0);
	if ((keep > 3 && close_range(3, (unsigned)keep - 1, 0) < 0) || close_range((unsigned)keep + 1, ~0U, 0) < 0)
		return -1;
	return fcntl(keep, F_SETFD, FD_CLOEXEC) < 0 ? -1 : 0;
}

int cmd_attach(int argc, char **argv)
{
	const char *lxcpath = NULL, *name = NULL, *cwd = NULL;
	uint64_t uid = 0, gid = 0, ctl = 0, wait = 0;
	int pty = 0, ctl_fd = -1, wait_fd = -1;
	unsigned rows = 0, cols = 0;
	char **env = calloc((size_t)argc + 1, sizeof(char *));
	size_t nenv = 0;
	int i;

	if (!env)
		return fail("%s", "out of memory");
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];
		if (strcmp(opt, "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			return fail("option %s needs a value (or missing -- before the command)", opt);
		const char *val = argv[++i];
		if (strcmp(opt, "--lxcpath") == 0)
			lxcpath = val;
		else if (strcmp(opt, "--name") == 0)
			name = val;
		else if (strcmp(opt, "--cwd") == 0)
			cwd = val;
		else if (strcmp(opt, "--uid") == 0) {
			if (parse_num(val, 10, UINT32_MAX - 1, &uid) < 0)
				return fail("bad --uid %s", val);
		} else if (strcmp(opt, "--gid") == 0) {
			if (parse_num(val, 10, UINT32_MAX - 1, &gid) < 0)
				return fail("bad --gid %s", val);
		} else if (strcmp(opt, "--pty") == 0) {
			if (parse_size(val, &rows, &cols) < 0)
				return fail("bad --pty %s (want ROWSxCOLS)", val);
			pty = 1;
		} else if (strcmp(opt, "--control-fd") == 0) {
			if (parse_num(val, 10, INT32_MAX, &ctl) < 0 || ctl < 3)
				return fail("bad --control-fd %s (want a descriptor from 3 up)", val);
			ctl_fd = (int)ctl;
		} else if (strcmp(opt, "--wait-fd") == 0) {
			if (parse_num(val, 10, INT32_MAX, &wait) < 0 || wait < 3)
				return fail("bad --wait-fd %s (want a descriptor from 3 up)", val);
			wait_fd = (int)wait;
		} else if (strcmp(opt, "--env") == 0) {
			const char *eq = strchr(val, '=');
			if (!eq || eq == val)
				return fail("bad --env %s (want KEY=VALUE)", val);
			env[nenv++] = (char *)val;
		} else
			return fail("unknown option %s", opt);
	}
	if (!lxcpath || !name)
		return fail("%s", "attach needs --lxcpath and --name");
	if (i >= argc)
		return fail("%s", "attach needs a command after --");
	if (ctl_fd >= 0 && !pty)
		return fail("%s", "--control-fd needs --pty");
	if (ctl_fd >= 0 && fcntl(ctl_fd, F_GETFD) < 0)
		return fail("--control-fd %d: %s", ctl_fd, strerror(errno));
	if (wait_fd >= 0 && pty)
		return fail("%s", "--wait-fd is for commands without --pty");
	if (wait_fd >= 0 && fcntl(wait_fd, F_GETFD) < 0)
		return fail("--wait-fd %d: %s", wait_fd, strerror(errno));

	/* Nothing but stdio may leak into the container (as lxd forkexec does). The control pipe
	 * and the pty master are close-on-exec. */
	if (close_inherited(ctl_fd >= 0 ? ctl_fd : wait_fd) < 0)
		return fail("close_range: %s", strerror(errno));

	struct lxc_container *c = helper_container_new(name, lxcpath);
	if (!c)
		return fail("cannot load container %s", name);
	if (!c->is_running(c)) {
		helper_container_put(c);
		return fail("container %s is not running", name);
	}
	pid_t init = c->init_pid(c);
	if (init > 0 && !id_mapped(init, "uid_map", uid)) {
		helper_container_put(c);
		return fail("uid %llu is not mapped in container %s", (unsigned long long)uid, name);
	}
	if (init > 0 && !id_mapped(init, "gid_map", gid)) {
		helper_container_put(c);
		return fail("gid %llu is not mapped in container %s", (unsigned long long)gid, name);
	}

	/* Loaded and checked ahead of time, the command starts only when the daemon says go (one
	 * byte); an end of file means the exec was called off before anything ran. */
	if (wait_fd >= 0) {
		char go;
		ssize_t n;
		while ((n = read(wait_fd, &go, 1)) < 0 && errno == EINTR)
			;
		close(wait_fd);
		if (n != 1) {
			helper_container_put(c);
			return EXIT_ATTACH_FAILED;
		}
	}

	int master = -1, slave = -1;
	if (pty) {
		master = open_pty(c, init, uid, gid, rows, cols, &slave);
		if (master < 0) {
			helper_container_put(c);
			return EXIT_ATTACH_FAILED;
		}
	}

	struct command cmd = { .argv = argv + i, .pty = pty };
	sigset_t forward;
	forwarded_signals(&forward);
	sigaddset(&forward, SIGCHLD);
	/* Block first: a signal sent while liblxc attaches waits and is forwarded once the pid is
	 * known. The command restores the original mask before exec. */
	if (sigprocmask(SIG_BLOCK, &forward, &cmd.mask) < 0)
		return fail("sigprocmask: %s", strerror(errno));

	lxc_attach_options_t opts = LXC_ATTACH_OPTIONS_DEFAULT;
	opts.attach_flags = LXC_ATTACH_DEFAULT;
	opts.env_policy = LXC_ATTACH_CLEAR_ENV;
	opts.extra_env_vars = env;
	opts.uid = (uid_t)uid;
	opts.gid = (gid_t)gid;
	opts.initial_cwd = (char *)cwd;
	if (pty) {
		/* A terminal given as stdin_fd (> 0) becomes the controlling terminal of a new session
		 * (liblxc, before switching to uid/gid); it is dup'ed to 0-2 and then owned by uid. */
		opts.stdin_fd = slave;
		opts.stdout_fd = slave;
		opts.stderr_fd = slave;
	}

	pid_t pid = -1;
	int ret = c->attach(c, exec_command, &cmd, &opts, &pid);
	helper_container_put(c);
	if (pty)
		close(slave); /* the command's copies are the only ones: its end is the pty's hangup */
	if (ret < 0 || pid <= 0)
		return fail("cannot attach to container %s", name);
	if (pty)
		return pty_relay(master, ctl_fd, pid, &forward);
	return wait_and_forward(pid, &forward);
}
