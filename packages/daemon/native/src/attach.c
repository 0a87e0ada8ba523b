/* attach: run a command inside a running container through liblxc, as `lxd forkexec` does,
 * with a working directory, uid/gid and a cleared environment. stdio is inherited from the
 * helper (pipes set up by lodged), or with --pty a pseudo-terminal from the container's own
 * devpts that is relayed to the helper's stdin/stdout (pty.c). Three processes: the helper,
 * its child born in the container's unified cgroup that calls liblxc and waits for the command
 * (cgplace.c says why), and the command. Each forwards the signals it is sent to the next and
 * dies with its parent; the helper exits with the command's status (128+N when killed by
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
	sigset_t mask;                /* the helper's original signal mask, restored in the command */
	int pty;                      /* stdio is a pty that must be the controlling terminal */
	const struct cg_place *place; /* the container's v1 cgroups, joined just before exec */
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
 * credentials and environment. Never returns. */
static int exec_command(void *payload)
{
	struct command *cmd = payload;

	/* Nothing of the container runs before the command is in its cgroups. */
	if (cg_enter_v1(cmd->place) < 0) {
		fprintf(stderr, "lodge-helper: cannot join the container's cgroups: %s\n", strerror(errno));
		_exit(EXIT_ATTACH_FAILED);
	}

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

/* Forwards signals to pid until it exits; returns its status, leaving it a zombie (child_exit). */
static int wait_and_forward(pid_t pid, const sigset_t *set)
{
	for (;;) {
		int code, r = child_exit(pid, 0, &code);
		if (r < 0) {
			perror("lodge-helper: wait");
			return EXIT_ATTACH_FAILED;
		}
		if (r == 1)
			return code;

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

/* What `attach` was asked: options, then the command. */
struct attach_req {
	const char *lxcpath, *name, *cwd, *cgroup;
	uint64_t uid, gid;
	int pty, ctl_fd, wait_fd;
	unsigned rows, cols;
	char **env; /* KEY=VALUE, NULL-terminated */
	char **argv;
};

static int parse_option(struct attach_req *r, const char *opt, const char *val, size_t *nenv)
{
	uint64_t n;
	if (strcmp(opt, "--lxcpath") == 0)
		r->lxcpath = val;
	else if (strcmp(opt, "--name") == 0)
		r->name = val;
	else if (strcmp(opt, "--cwd") == 0)
		r->cwd = val;
	else if (strcmp(opt, "--cgroup") == 0)
		r->cgroup = val;
	else if (strcmp(opt, "--uid") == 0) {
		if (parse_num(val, 10, UINT32_MAX - 1, &r->uid) < 0)
			return fail("bad --uid %s", val);
	} else if (strcmp(opt, "--gid") == 0) {
		if (parse_num(val, 10, UINT32_MAX - 1, &r->gid) < 0)
			return fail("bad --gid %s", val);
	} else if (strcmp(opt, "--pty") == 0) {
		if (parse_size(val, &r->rows, &r->cols) < 0)
			return fail("bad --pty %s (want ROWSxCOLS)", val);
		r->pty = 1;
	} else if (strcmp(opt, "--control-fd") == 0) {
		if (parse_num(val, 10, INT32_MAX, &n) < 0 || n < 3)
			return fail("bad --control-fd %s (want a descriptor from 3 up)", val);
		r->ctl_fd = (int)n;
	} else if (strcmp(opt, "--wait-fd") == 0) {
		if (parse_num(val, 10, INT32_MAX, &n) < 0 || n < 3)
			return fail("bad --wait-fd %s (want a descriptor from 3 up)", val);
		r->wait_fd = (int)n;
	} else if (strcmp(opt, "--env") == 0) {
		const char *eq = strchr(val, '=');
		if (!eq || eq == val)
			return fail("bad --env %s (want KEY=VALUE)", val);
		r->env[(*nenv)++] = (char *)val;
	} else
		return fail("unknown option %s", opt);
	return 0;
}

static int parse_args(struct attach_req *r, int argc, char **argv)
{
	*r = (struct attach_req){ .ctl_fd = -1, .wait_fd = -1 };
	r->env = calloc((size_t)argc + 1, sizeof(char *));
	if (!r->env)
		return fail("%s", "out of memory");
	size_t nenv = 0;
	int i;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			return fail("option %s needs a value (or missing -- before the command)", argv[i]);
		if (parse_option(r, argv[i], argv[i + 1], &nenv) != 0)
			return EXIT_ATTACH_FAILED;
		i++;
	}
	if (!r->lxcpath || !r->name || !r->cgroup)
		return fail("%s", "attach needs --lxcpath, --name and --cgroup");
	if (i >= argc)
		return fail("%s", "attach needs a command after --");
	r->argv = argv + i;
	if (r->ctl_fd >= 0 && !r->pty)
		return fail("%s", "--control-fd needs --pty");
	if (r->ctl_fd >= 0 && fcntl(r->ctl_fd, F_GETFD) < 0)
		return fail("--control-fd %d: %s", r->ctl_fd, strerror(errno));
	if (r->wait_fd >= 0 && r->pty)
		return fail("%s", "--wait-fd is for commands without --pty");
	if (r->wait_fd >= 0 && fcntl(r->wait_fd, F_GETFD) < 0)
		return fail("--wait-fd %d: %s", r->wait_fd, strerror(errno));
	return 0;
}

/* Loads the container and checks that it runs and maps the ids; NULL after reporting. */
static struct lxc_container *load_container(const struct attach_req *r, pid_t *init)
{
	struct lxc_container *c = helper_container_new(r->name, r->lxcpath);
	if (!c) {
		fail("cannot load container %s", r->name);
		return NULL;
	}
	if (!c->is_running(c)) {
		fail("container %s is not running", r->name);
	} else if ((*init = c->init_pid(c)) <= 0) {
		fail("container %s has no init process", r->name);
	} else if (!id_mapped(*init, "uid_map", r->uid)) {
		fail("uid %llu is not mapped in container %s", (unsigned long long)r->uid, r->name);
	} else if (!id_mapped(*init, "gid_map", r->gid)) {
		fail("gid %llu is not mapped in container %s", (unsigned long long)r->gid, r->name);
	} else
		return c;
	helper_container_put(c);
	return NULL;
}

/* Waits for the daemon's go (one byte); end of file means the exec was called off. */
static int wait_for_go(int fd)
{
	char go;
	ssize_t n;
	while ((n = read(fd, &go, 1)) < 0 && errno == EINTR)
		;
	close(fd);
	return n == 1 ? 0 : -1;
}

/* One exec once the command is to run: the container, what was asked, where it goes. */
struct session {
	struct lxc_container *c;
	const struct attach_req *req;
	struct command cmd;
	struct cg_place place;
	int master, slave; /* the command's pty, or -1 */
	sigset_t forward;  /* blocked; forwarded to the next process down */
};

/* In the helper's child: liblxc attaches the command (its child), then this waits for it,
 * relaying the pty if any. Returns the exit status for the helper. */
static int run_attached(struct session *s)
{
	const struct attach_req *r = s->req;
	lxc_attach_options_t opts = LXC_ATTACH_OPTIONS_DEFAULT;
	/* The cgroups are ours to join (cgplace.c): born in the unified one, the v1 ones in exec_command. */
	opts.attach_flags = LXC_ATTACH_DEFAULT & ~LXC_ATTACH_MOVE_TO_CGROUP;
	opts.env_policy = LXC_ATTACH_CLEAR_ENV;
	opts.extra_env_vars = r->env;
	opts.uid = (uid_t)r->uid;
	opts.gid = (gid_t)r->gid;
	opts.initial_cwd = (char *)r->cwd;
	if (r->pty) {
		/* A terminal given as stdin_fd (> 0) becomes the controlling terminal of a new session
		 * (liblxc, before switching to uid/gid); it is dup'ed to 0-2 and then owned by uid. */
		opts.stdin_fd = s->slave;
		opts.stdout_fd = s->slave;
		opts.stderr_fd = s->slave;
	}
	pid_t pid = -1;
	int ret = s->c->attach(s->c, exec_command, &s->cmd, &opts, &pid);
	helper_container_put(s->c);
	cg_place_close(&s->place);
	if (r->pty)
		close(s->slave); /* the command's copies are the only ones: its end is the pty's hangup */
	if (ret < 0 || pid <= 0)
		return fail("cannot attach to container %s", r->name);
	/* The command is left a zombie for the helper (a subreaper) to reap: its pid, and so the
	 * container's init when the container stops, goes only after this process left the unified
	 * leaf, so LXC never finds it busy when it removes the container's cgroups. */
	if (r->pty)
		return pty_relay(s->master, r->ctl_fd, pid, &s->forward);
	return wait_and_forward(pid, &s->forward);
}

/* Forks the child that attaches; the helper keeps only what it needs to wait for it. */
static int run(struct session *s)
{
	/* Block first: a signal sent meanwhile waits and is forwarded once the pid is known. The
	 * command restores the original mask before exec. */
	forwarded_signals(&s->forward);
	sigaddset(&s->forward, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &s->forward, &s->cmd.mask) < 0)
		return fail("sigprocmask: %s", strerror(errno));
	pid_t helper = getpid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return fail("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	pid_t child = cg_fork_into(&s->place);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != helper)
			_exit(EXIT_ATTACH_FAILED);
		_exit(run_attached(s));
	}
	int err = errno;
	helper_container_put(s->c);
	cg_place_close(&s->place);
	if (s->req->pty) {
		close(s->master);
		close(s->slave);
		if (s->req->ctl_fd >= 0)
			close(s->req->ctl_fd);
	}
	if (child < 0)
		return fail("cannot fork into the cgroup of container %s: %s", s->req->name, strerror(err));
	int code = wait_and_forward(child, &s->forward);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		; /* the child, and the command it handed over when it exited */
	return code;
}

int cmd_attach(int argc, char **argv)
{
	struct attach_req r;
	if (parse_args(&r, argc, argv) != 0)
		return EXIT_ATTACH_FAILED;

	/* Nothing but stdio may leak into the container (as lxd forkexec does). The control pipe
	 * and the pty master are close-on-exec. */
	if (close_inherited(r.ctl_fd >= 0 ? r.ctl_fd : r.wait_fd) < 0)
		return fail("close_range: %s", strerror(errno));

	pid_t init = -1;
	struct session s = { .req = &r, .master = -1, .slave = -1 };
	s.c = load_container(&r, &init);
	if (!s.c)
		return EXIT_ATTACH_FAILED;
	const char *step = "";
	if (cg_place_open(&s.place, r.cgroup, init, &step) < 0) {
		int err = errno;
		helper_container_put(s.c);
		return fail("cannot use cgroup %s of container %s: %s: %s", r.cgroup, r.name, step, strerror(err));
	}
	/* Loaded and checked ahead of time, the command starts only when the daemon says go. */
	if (r.wait_fd >= 0 && wait_for_go(r.wait_fd) < 0) {
		cg_place_close(&s.place);
		helper_container_put(s.c);
		return EXIT_ATTACH_FAILED;
	}
	if (r.pty) {
		s.master = open_pty(s.c, init, r.uid, r.gid, r.rows, r.cols, &s.slave);
		if (s.master < 0) {
			cg_place_close(&s.place);
			helper_container_put(s.c);
			return EXIT_ATTACH_FAILED;
		}
	}
	s.cmd = (struct command){ .argv = r.argv, .pty = r.pty, .place = &s.place };
	return run(&s);
}
