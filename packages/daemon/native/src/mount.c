/* mount / umount: hot-plug a host path (a disk device, or a device node the daemon made) into
 * a running container, and remove it again. The modern mount API does the work:
 *
 *  1. open_tree(OPEN_TREE_CLONE [| AT_RECURSIVE]) clones the source in the helper's (host)
 *     mount namespace into a detached tree T; mount_setattr() makes it read-only and/or
 *     idmapped with the container's user namespace (--shift) while it is still detached.
 *  2. A child that joins the container's user and mount namespaces and becomes its root
 *     creates the missing target path, so permissions and ownership are the container's.
 *     Every lookup is openat2(RESOLVE_IN_ROOT) against the container's root; the last
 *     component is created with mkdirat()/mknodat() on a pinned parent.
 *  3. T reaches the container by propagation, not by a plain move, so that the kernel locks
 *     it the way it locks the mounts of any less privileged mount namespace: the container's
 *     root can neither remount it read-write nor unmount a submount of a recursive tree to see
 *     what the host hides beneath. The helper makes a private mount namespace N of its own,
 *     mounts a small shared tmpfs S there, puts a slave clone P of S (a directory of it) on the
 *     target inside the container, then mounts T on S in N: the kernel propagates a copy of T
 *     onto P, and a copy that crosses into a less privileged user namespace is locked
 *     (MNT_LOCK_READONLY & co, MNT_LOCKED children). N disappears when the helper exits.
 *  4. The target is opened once, inside the container root, with O_PATH|O_NOFOLLOW, checked
 *     (not a symlink, not the container's root, a directory exactly when the source is one),
 *     and P is attached to that very descriptor (move_mount with MOVE_MOUNT_T_EMPTY_PATH), so
 *     no container-controlled symlink or rename can redirect it. The attach happens from the
 *     container's mount namespace, where the kernel refuses any target outside it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

/* The name of the staging tmpfs (its mount source) and of its directory that P clones: how
 * `umount` recognises the P left under an injected mount. */
#define STAGE_NAME "lodge-inject"

struct mount_opts {
	int pid;
	const char *source;
	const char *target;
	int readonly, recursive, shift;
	uint64_t propagation; /* MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE */
};

static const char *cur_target = "";

/* "<what> <target>: <reason>" */
static int fail_target(int err, const char *what, const char *reason)
{
	return report_about(err, what, cur_target, reason);
}

#define FAIL(what) return fail_target(errno, what, NULL)
#define FAIL_SETUP(what) return report(errno, what, NULL)

static int parse_propagation(const char *v, uint64_t *out)
{
	if (v[0] == 'r')
		v++; /* rprivate & co: the propagation always applies to every mount of the tree */
	if (strcmp(v, "private") == 0)
		*out = MS_PRIVATE;
	else if (strcmp(v, "slave") == 0)
		*out = MS_SLAVE;
	else if (strcmp(v, "shared") == 0)
		*out = MS_SHARED;
	else if (strcmp(v, "unbindable") == 0)
		*out = MS_UNBINDABLE;
	else
		return -1;
	return 0;
}

/* Splits an absolute container path into its components; "." is dropped, "..", an empty or
 * relative path and the root itself are refused. Returns the count, or -1. */
static int split_target(const char *target, struct buf *copy, char **comps, int max)
{
	if (target[0] != '/')
		return -1;
	buf_str(copy, target);
	int n = 0;
	for (char *save = NULL, *c = strtok_r(copy->data, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0 || n == max)
			return -1;
		comps[n++] = c;
	}
	return n > 0 ? n : -1;
}

/* "/c0/c1/.../c(n-1)" */
static void join_prefix(struct buf *out, char **comps, int n)
{
	out->len = 0;
	buf_str(out, "/");
	for (int i = 0; i < n; i++) {
		if (i > 0)
			buf_str(out, "/");
		buf_str(out, comps[i]);
	}
}

/* In the container, as its root: creates the missing directories of the target and the target
 * itself (a directory for a directory source, an empty file otherwise). An existing target is
 * kept when its type fits; a symlink is refused. */
static int make_target(int root, const char *target, int want_dir)
{
	struct buf copy = { 0 }, prefix = { 0 };
	char *comps[PATH_MAX / 2];
	int n = split_target(target, &copy, comps, (int)(sizeof(comps) / sizeof(comps[0])));
	if (n < 0)
		return fail_target(EINVAL, "target", "must be an absolute path below / without \"..\"");

	int parent = open_in_root(root, "/", O_PATH | O_DIRECTORY, 0);
	if (parent < 0)
		FAIL("open / for");
	for (int i = 0; i < n - 1; i++) {
		join_prefix(&prefix, comps, i + 1);
		int fd = open_in_root(root, prefix.data, O_PATH | O_DIRECTORY, 0);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(parent, comps[i], 0755) < 0 && errno != EEXIST)
				FAIL("create a directory for");
			fd = open_in_root(root, prefix.data, O_PATH | O_DIRECTORY, 0);
		}
		if (fd < 0)
			FAIL("open a directory of");
		close(parent);
		parent = fd;
	}

	const char *name = comps[n - 1];
	int r = want_dir ? mkdirat(parent, name, 0755) : mknodat(parent, name, S_IFREG | 0644, 0);
	if (r < 0 && errno != EEXIST)
		FAIL("create");
	if (r < 0) {
		struct stat st;
		if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			FAIL("stat");
		if (S_ISLNK(st.st_mode))
			return fail_target(ELOOP, "target", "is a symlink");
		if (want_dir && !S_ISDIR(st.st_mode))
			return fail_target(ENOTDIR, "target", "exists and is not a directory (the source is one)");
		if (!want_dir && S_ISDIR(st.st_mode))
			return fail_target(EISDIR, "target", "is a directory (the source is not)");
	}
	close(parent);
	buf_free(&copy);
	buf_free(&prefix);
	return 0;
}

/* Joins the container (user namespace unless it is ours, then mount namespace) as its root. */
static int become_container_root(int ufd, int mfd)
{
	int own_user = is_own_ns(ufd, "user");
	if (own_user < 0)
		FAIL_SETUP("stat namespaces");
	if (!own_user && setns(ufd, CLONE_NEWUSER) < 0)
		FAIL_SETUP("setns user");
	if (setns(mfd, CLONE_NEWNS) < 0)
		FAIL_SETUP("setns mnt");
	if (setgroups(0, NULL) < 0 || setgid(0) < 0 || setuid(0) < 0)
		FAIL_SETUP("become the container's root");
	return 0;
}

/* Step 2, in a child so that the helper keeps its host credentials. */
static int make_target_as_container_root(int ufd, int mfd, const char *target, int want_dir)
{
	pid_t child = fork();
	if (child < 0)
		FAIL_SETUP("fork");
	if (child == 0) {
		umask(0);
		if (become_container_root(ufd, mfd) != 0)
			_exit(1);
		/* Nothing of the host (the source tree, /proc fds) stays open in the container. */
		if (close_range(3, ~0U, 0) < 0)
			_exit(report(errno, "close_range", NULL));
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			_exit(report(errno, "open the container's /", NULL));
		_exit(make_target(root, target, want_dir));
	}
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			FAIL_SETUP("waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!WIFEXITED(status))
		report(EIO, "creating the target", "the child died");
	return 1; /* the child reported why */
}

/* The mount id of an O_PATH descriptor, and whether it is the root of that mount. */
static int mount_of(int fd, uint64_t *mnt_id, int *is_root)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID | STATX_TYPE, &stx) < 0)
		return -1;
	if (!(stx.stx_mask & STATX_MNT_ID) || !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) {
		errno = ENOSYS;
		return -1;
	}
	*mnt_id = stx.stx_mnt_id;
	*is_root = (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	return 0;
}

/* Opens the target inside the container root for attaching: never a symlink, never the root
 * itself, a directory exactly when the source is one. */
static int open_target(int root, const char *target, int want_dir)
{
	struct stat st, rst;
	int fd = open_in_root(root, target, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0 || fstat(fd, &st) < 0)
		return fail_target(errno, "open", NULL), -1;
	if (S_ISLNK(st.st_mode))
		return fail_target(ELOOP, "target", "is a symlink"), -1;
	if (want_dir != !!S_ISDIR(st.st_mode))
		return fail_target(want_dir ? ENOTDIR : EISDIR, "target", "changed type"), -1;
	if (fstat(root, &rst) < 0)
		return fail_target(errno, "stat /", NULL), -1;
	uint64_t a, b;
	int ra, rb;
	if (same_inode(&st, &rst) && mount_of(fd, &a, &ra) == 0 && mount_of(root, &b, &rb) == 0 && a == b)
		return fail_target(EINVAL, "target", "is the container's root"), -1;
	return fd;
}

/* Lazily unmounts the mount whose root fd is: umount2() takes a path, so it goes through the
 * descriptor's /proc/self/fd link (self_fd: the host's /proc/self/fd, opened before setns; the
 * container's /proc does not know the helper's pid). */
static int umount_fd(int self_fd, int fd)
{
	char name[32];
	snprintf(name, sizeof(name), "%d", fd);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || fchdir(self_fd) < 0)
		return -1;
	int r = umount2(name, MNT_DETACH);
	int err = errno;
	if (fchdir(cwd) < 0)
		return -1;
	close(cwd);
	errno = err;
	return r;
}

static int setattr(int fd, unsigned flags, struct mount_attr *attr)
{
	return mount_setattr(fd, "", AT_EMPTY_PATH | flags, attr, sizeof(*attr));
}

/* Step 3's stage: a private mount namespace of the helper's own (kept alive by *nfd) with a
 * shared tmpfs S (*s) mounted on its "/" and STAGE_NAME in it (a directory for a directory
 * source, else an empty file: a mount only goes on its own kind), and in *p the detached slave
 * clone of that entry. */
static int make_stage(int is_dir, int *nfd, int *s, int *p)
{
	if (unshare(CLONE_NEWNS) < 0)
		FAIL_SETUP("unshare mnt");
	/* Nothing mounted in N may reach the host's namespace. */
	struct mount_attr priv = { .propagation = MS_PRIVATE };
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &priv, sizeof(priv)) < 0)
		FAIL_SETUP("make the stage namespace private");
	*nfd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (*nfd < 0)
		FAIL_SETUP("open the stage namespace");

	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", STAGE_NAME, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		FAIL_SETUP("create the stage tmpfs");
	*s = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (*s < 0)
		FAIL_SETUP("fsmount the stage");
	close(fs);
	if ((is_dir ? mkdirat(*s, STAGE_NAME, 0755) : mknodat(*s, STAGE_NAME, S_IFREG | 0644, 0)) < 0)
		FAIL_SETUP("create the stage entry");
	if (move_mount(*s, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		FAIL_SETUP("attach the stage");
	struct mount_attr shared = { .propagation = MS_SHARED };
	if (setattr(*s, 0, &shared) < 0)
		FAIL_SETUP("share the stage");
	*p = open_tree(*s, STAGE_NAME, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (*p < 0)
		FAIL_SETUP("clone the stage");
	struct mount_attr slave = { .propagation = MS_SLAVE };
	if (setattr(*p, 0, &slave) < 0)
		FAIL_SETUP("make the stage clone a slave");
	return 0;
}

/* Whether mount id of the container (its mountinfo open as mi) is a P: the STAGE_NAME
 * directory of a tmpfs named STAGE_NAME. */
static int is_stage_mount(int mi, uint64_t id)
{
	struct buf text = { 0 };
	char chunk[8192];
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(mi, chunk, sizeof(chunk), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&text, chunk, (size_t)n);
		off += n;
	}
	int found = 0;
	for (char *save = NULL, *line = text.data ? strtok_r(text.data, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long mid;
		char root[PATH_MAX];
		if (sscanf(line, "%llu %*u %*u:%*u %4095s", &mid, root) != 2 || mid != id)
			continue;
		const char *tail = strstr(line, " - ");
		found = strcmp(root, "/" STAGE_NAME) == 0 && tail && strncmp(tail, " - tmpfs " STAGE_NAME " ", 10 + strlen(STAGE_NAME)) == 0;
		break;
	}
	buf_free(&text);
	return found;
}

static int parse_mount_args(int argc, char **argv, struct mount_opts *o, int umount)
{
	const char *pid = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!umount && strcmp(a, "--readonly") == 0)
			o->readonly = 1;
		else if (!umount && strcmp(a, "--recursive") == 0)
			o->recursive = 1;
		else if (!umount && strcmp(a, "--shift") == 0)
			o->shift = 1;
		else if (i + 1 < argc && strcmp(a, "--pid") == 0)
			pid = argv[++i];
		else if (i + 1 < argc && strcmp(a, "--target") == 0)
			o->target = argv[++i];
		else if (!umount && i + 1 < argc && strcmp(a, "--source") == 0)
			o->source = argv[++i];
		else if (!umount && i + 1 < argc && strcmp(a, "--propagation") == 0) {
			if (parse_propagation(argv[++i], &o->propagation) < 0)
				goto bad;
		} else
			goto bad;
	}
	if (!pid || parse_pid(pid, &o->pid) < 0 || !o->target || (!umount && (!o->source || !o->source[0])))
		goto bad;
	cur_target = o->target;
	struct buf copy = { 0 };
	char *comps[PATH_MAX / 2];
	int n = split_target(o->target, &copy, comps, (int)(sizeof(comps) / sizeof(comps[0])));
	buf_free(&copy);
	if (n < 0)
		return fail_target(EINVAL, "target", "must be an absolute path below / without \"..\"");
	return 0;
bad:
	return report(EINVAL,
		      umount ? "usage: lodge-helper umount --pid PID --target PATH"
			     : "usage: lodge-helper mount --pid PID --source HOSTPATH --target PATH [--readonly] [--recursive] [--shift] [--propagation P]",
		      "bad arguments");
}

/* Common start: no inherited descriptors, not dumpable; the container's mount namespace (never
 * ours: a pid outside a container would make the helper mount on the host). */
static int open_container(const struct mount_opts *o, int *mfd, int *ufd)
{
	if (close_range(3, ~0U, 0) < 0)
		FAIL_SETUP("close_range");
	signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		FAIL_SETUP("prctl");
	*mfd = open_pid_ns(o->pid, "mnt");
	if (*mfd < 0)
		FAIL_SETUP("open the mount namespace of --pid");
	int own = is_own_ns(*mfd, "mnt");
	if (own < 0)
		FAIL_SETUP("stat namespaces");
	if (own)
		return report(EPERM, "--pid", "the process shares the helper's mount namespace, refusing");
	if (ufd) {
		*ufd = open_pid_ns(o->pid, "user");
		if (*ufd < 0)
			FAIL_SETUP("open the user namespace of --pid");
	}
	return 0;
}

int cmd_mount(int argc, char **argv)
{
	struct mount_opts o = { .propagation = MS_PRIVATE };
	int mfd = -1, ufd = -1;
	if (parse_mount_args(argc, argv, &o, 0) || open_container(&o, &mfd, &ufd))
		return 1;
	if (o.shift) {
		int own = is_own_ns(ufd, "user");
		if (own < 0)
			FAIL_SETUP("stat namespaces");
		if (own)
			return report(EINVAL, "--shift", "the container has no user namespace of its own (privileged)");
	}
	int self_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (self_fd < 0)
		FAIL_SETUP("open /proc/self/fd");

	/* 1. The detached source tree, read-only and idmapped as asked, with the propagation it
	 * should pass on to the container's copy (see the end of this function). */
	const unsigned rec = o.recursive ? AT_RECURSIVE : 0;
	int tree = open_tree(AT_FDCWD, o.source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
	struct stat sst;
	if (tree < 0 || fstat(tree, &sst) < 0) {
		struct buf m = { 0 };
		buf_fmt(&m, "open source %s", o.source);
		report(errno, m.data, NULL);
		buf_free(&m);
		return 1;
	}
	const int is_dir = S_ISDIR(sst.st_mode);
	struct mount_attr attr = {
		.attr_set = (o.readonly ? MOUNT_ATTR_RDONLY : 0) | (o.shift ? MOUNT_ATTR_IDMAP : 0),
		.userns_fd = o.shift ? (uint64_t)ufd : 0,
	};
	if (attr.attr_set && setattr(tree, rec, &attr) < 0) {
		if (o.shift && (errno == EINVAL || errno == EPERM))
			return report(errno, "--shift", "the source's filesystem cannot be idmapped (or is already)");
		FAIL_SETUP("set the mount attributes");
	}
	struct mount_attr tprop = { .propagation = o.propagation == MS_SLAVE ? MS_SLAVE : MS_PRIVATE };
	if (o.propagation != MS_SHARED && setattr(tree, rec, &tprop) < 0)
		FAIL_SETUP("set the source propagation");

	/* 2. The target, made by the container's root. */
	if (make_target_as_container_root(ufd, mfd, o.target, is_dir) != 0)
		return 1;

	/* 3. The stage, then P on the pinned target inside the container. */
	int nfd = -1, stage = -1, p = -1;
	if (make_stage(is_dir, &nfd, &stage, &p) != 0)
		return 1;
	if (setns(mfd, CLONE_NEWNS) < 0)
		FAIL_SETUP("setns mnt");
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		FAIL_SETUP("open the container's /");
	int tfd = open_target(root, o.target, is_dir);
	if (tfd < 0)
		return 1;
	if (move_mount(p, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		FAIL("mount on");
	uint64_t p_id, c_id;
	int is_root, err = 0;
	const char *why = NULL;
	if (mount_of(p, &p_id, &is_root) < 0) {
		err = errno, why = "statx the stage clone";
		goto undo;
	}

	/* The source arrives on P by propagation from the stage, locked. */
	if (setns(nfd, CLONE_NEWNS) < 0 || move_mount(tree, "", stage, STAGE_NAME, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		err = errno, why = "mount the source on the stage";
		setns(mfd, CLONE_NEWNS);
		goto undo;
	}
	if (setns(mfd, CLONE_NEWNS) < 0)
		FAIL_SETUP("setns mnt");
	int c = open_in_root(root, o.target, O_PATH | O_NOFOLLOW, 0);
	if (c < 0 || mount_of(c, &c_id, &is_root) < 0 || !is_root || c_id == p_id) {
		err = c < 0 ? errno : EIO, why = "the source did not reach the container";
		goto undo;
	}

	/* The copy is a slave of T: "slave" (and "shared", which the stage turns into slave: a
	 * container never propagates mounts to the host) keep receiving the host's mounts under
	 * the source; "private" and "unbindable" are cut off here. "shared" also shares with the
	 * container's own mounts. */
	if (o.propagation != MS_SLAVE) {
		struct mount_attr cprop = { .propagation = o.propagation };
		if (setattr(c, rec, &cprop) < 0) {
			err = errno, why = "set the propagation";
			goto undo;
		}
	}
	return 0;

undo:
	/* Unmounting P takes whatever is mounted on it. */
	umount_fd(self_fd, p);
	return fail_target(err, why, NULL);
}

int cmd_umount(int argc, char **argv)
{
	struct mount_opts o = { 0 };
	int mfd;
	if (parse_mount_args(argc, argv, &o, 1) || open_container(&o, &mfd, NULL))
		return 1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", o.pid);
	int mi = open(path, O_RDONLY | O_CLOEXEC);
	int self_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mi < 0 || self_fd < 0)
		FAIL_SETUP("open /proc");
	if (setns(mfd, CLONE_NEWNS) < 0)
		FAIL_SETUP("setns mnt");
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		FAIL_SETUP("open the container's /");

	/* The top mount at the target; then the stage clone P beneath it, if that is what is left. */
	for (int round = 0; round < 2; round++) {
		int fd = open_in_root(root, o.target, O_PATH | O_NOFOLLOW, 0);
		if (fd < 0)
			FAIL("open");
		uint64_t id;
		int is_root;
		if (mount_of(fd, &id, &is_root) < 0)
			FAIL("statx");
		if (!is_root) {
			if (round > 0)
				break;
			return fail_target(EINVAL, "umount", "not a mount point");
		}
		int stage = is_stage_mount(mi, id);
		if (round > 0 && !stage)
			break;
		if (umount_fd(self_fd, fd) < 0)
			FAIL("umount");
		close(fd);
		if (stage)
			break;
	}
	return 0;
}
