/* file: the LXD files API (get, stat, put, delete) confined to a container's root filesystem.
 *
 * Confinement has two layers:
 *  1. The process root is the container's root: for a running container (--pid) the helper
 *     joins the user and mount namespaces of the container's init and becomes the container's
 *     root user; for a stopped one (--root) it chroots into the rootfs directory.
 *  2. Every path is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) against a
 *     descriptor of that root, so "..", absolute symlinks and symlinked intermediate
 *     directories resolve inside the container, the kernel refuses /proc magic links, and it
 *     retries (EAGAIN) when a concurrent rename could have moved a path out of the root.
 * The last component is then handled through descriptors: lstat semantics via O_PATH|O_NOFOLLOW,
 * a regular file is only read or written after fstat on the very descriptor used for I/O shows
 * a regular file and the same inode as the lookup, and creation, removal and symlink writes use
 * *at() calls on a pinned parent directory, which never follow the last component. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"

enum put_type { PUT_FILE, PUT_DIRECTORY, PUT_SYMLINK };

struct file_opts {
	const char *pid;
	const char *root;
	const char *op;
	const char *path;
	enum put_type type;
	int append;
	int64_t uid, gid; /* -1: not given */
	int64_t mode;     /* -1: not given */
	int64_t offset;   /* get: first byte of the content to send (0 by default) */
	int64_t length;   /* get: at most this many bytes; -1: to the end */
};

static int root_fd = -1;
static const char *cur_path = "";

/* An error about the path being worked on: "<what> <path>: <reason>". */
static int fail_path(int err, const char *what, const char *reason)
{
	return report_about(err, what, cur_path, reason);
}

#define FAIL(what) return fail_path(errno, what, NULL)
#define FAIL_SETUP(what) return report(errno, what, NULL)

static int in_root(const char *path, int flags, mode_t mode)
{
	return open_in_root(root_fd, path, flags, mode);
}

/* Opens the parent directory of path (inside the root) and points *name at the last component.
 * Trailing slashes are ignored; the root itself has the name ".". */
static int open_parent(const char *path, struct buf *parent, const char **name)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	buf_add(parent, path, len);
	char *slash = strrchr(parent->data, '/');
	if (!slash) {
		*name = parent->data;
		return in_root("/", O_PATH | O_DIRECTORY, 0);
	}
	if (slash[1] == '\0') { /* the path was "/" */
		*name = ".";
		return in_root("/", O_PATH | O_DIRECTORY, 0);
	}
	*slash = '\0';
	*name = slash + 1;
	return in_root(slash == parent->data ? "/" : parent->data, O_PATH | O_DIRECTORY, 0);
}

static int is_dot_name(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* LXD's symlink target (pkg/sftp RealPath): a relative target is joined to the link's
 * directory, and the result is cleaned lexically and rooted at "/". Nothing is looked up, so a
 * dangling target comes back as written. */
static void lxd_target(struct buf *out, const char *path, const char *target)
{
	struct buf joined = { 0 };
	if (target[0] != '/') {
		buf_str(&joined, path);
		while (joined.len > 0 && joined.data[joined.len - 1] == '/')
			joined.data[--joined.len] = '\0';
		char *slash = strrchr(joined.data ? joined.data : "", '/');
		joined.len = slash ? (size_t)(slash - joined.data) : 0;
		buf_str(&joined, "/");
	}
	buf_str(&joined, target);

	size_t start = out->len;
	for (char *save = NULL, *comp = strtok_r(joined.data, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (out->len == start)
				continue; /* ".." at the root stays at the root */
			while (out->len > start && out->data[out->len - 1] != '/')
				out->len--;
			out->len--; /* the slash before the component */
			out->data[out->len] = '\0';
			continue;
		}
		buf_str(out, "/");
		buf_str(out, comp);
	}
	if (out->len == start)
		buf_str(out, "/");
	buf_free(&joined);
}

/* Copies from `from` to `to` until EOF, or `limit` bytes when limit >= 0. */
static int copy_fd(int from, int to, const char *what, int64_t limit)
{
	static char chunk[128 * 1024];
	for (;;) {
		size_t want = sizeof(chunk);
		if (limit >= 0 && (uint64_t)limit < want)
			want = (size_t)limit;
		if (want == 0)
			return 0;
		ssize_t n = read(from, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			FAIL(what);
		if (n == 0)
			return 0;
		if (write_all(to, chunk, (size_t)n) < 0)
			FAIL(what);
		if (limit >= 0)
			limit -= n;
	}
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	default: return "unknown";
	}
}

static int list_dir(int fd, struct buf *out)
{
	DIR *dir = fdopendir(fd);
	if (!dir) {
		int err = errno;
		close(fd);
		return fail_path(err, "opendir", NULL);
	}
	buf_str(out, ",\"entries\":[");
	int first = 1;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(dir);
		if (!e)
			break;
		if (is_dot_name(e->d_name))
			continue;
		if (!first)
			buf_str(out, ",");
		first = 0;
		buf_json(out, e->d_name);
	}
	int err = errno;
	closedir(dir);
	if (err)
		return fail_path(err, "readdir", NULL);
	buf_str(out, "]");
	return 0;
}

/* get/stat: one JSON header line, then for `get` the content of a regular file. */
static int op_get(const struct file_opts *o, int content)
{
	struct stat st, st2;
	int fd = in_root(o->path, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0 || fstat(fd, &st) < 0)
		FAIL("lstat");
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
		struct buf why = { 0 };
		buf_fmt(&why, "not a regular file, directory or symlink (%s)", type_name(st.st_mode));
		fail_path(EINVAL, "get", why.data);
		buf_free(&why);
		return 1;
	}

	int data = -1;
	if (content && !S_ISLNK(st.st_mode)) {
		/* Reopen for reading; O_NONBLOCK so that a FIFO or device swapped in meanwhile can't
		 * block, then insist on the same inode and type before reading a byte. */
		int flags = S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY | O_NOFOLLOW
						: O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
		data = in_root(o->path, flags, 0);
		if (data < 0 || fstat(data, &st2) < 0)
			FAIL("open");
		if (!same_inode(&st, &st2) || (st.st_mode & S_IFMT) != (st2.st_mode & S_IFMT))
			return fail_path(EAGAIN, "open", "changed while being opened");
		st = st2;
		if (S_ISREG(st.st_mode) && fcntl(data, F_SETFL, O_RDONLY) < 0)
			FAIL("fcntl");
	}

	struct buf h = { 0 };
	buf_fmt(&h, "{\"type\":\"%s\",\"uid\":%u,\"gid\":%u,\"mode\":%u,\"size\":%lld,\"mtime\":%lld",
		type_name(st.st_mode), (unsigned)st.st_uid, (unsigned)st.st_gid,
		(unsigned)(st.st_mode & 07777), (long long)st.st_size, (long long)st.st_mtim.tv_sec);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(fd, "", target, sizeof(target));
		if (n < 0)
			FAIL("readlink");
		if ((size_t)n >= sizeof(target))
			return fail_path(ENAMETOOLONG, "readlink", NULL);
		target[n] = '\0';
		buf_str(&h, ",\"target\":");
		struct buf t = { 0 };
		lxd_target(&t, o->path, target);
		buf_json(&h, t.data);
		buf_free(&t);
	} else if (S_ISDIR(st.st_mode) && data >= 0) {
		int r = list_dir(data, &h);
		data = -1;
		if (r)
			return r;
	}
	buf_str(&h, "}\n");
	close(fd);

	if (write_all(STDOUT_FILENO, h.data, h.len) < 0)
		FAIL("write");
	buf_free(&h);
	if (data >= 0 && S_ISREG(st.st_mode)) {
		/* A range (HTTP Range): the header still has the whole size. */
		if (o->offset > 0 && lseek(data, (off_t)o->offset, SEEK_SET) < 0)
			FAIL("seek");
		int r = copy_fd(data, STDOUT_FILENO, "read", o->length);
		close(data);
		return r;
	}
	return 0;
}

/* Applies ownership (only what was given) then the mode; chown first as it clears setuid. */
static int set_owner_mode(int fd, const struct file_opts *o, mode_t mode)
{
	if ((o->uid >= 0 || o->gid >= 0) && fchown(fd, (uid_t)o->uid, (gid_t)o->gid) < 0)
		FAIL("chown");
	if (fchmod(fd, mode) < 0)
		FAIL("chmod");
	return 0;
}

static int put_file(const struct file_opts *o)
{
	mode_t mode = o->mode >= 0 ? (mode_t)o->mode : 0644;
	const int wflags = O_WRONLY | O_NONBLOCK | O_NOCTTY | (o->append ? O_APPEND : 0);
	struct stat before, st;
	int created = 0, fd;

	/* Like LXD, a final symlink is followed (inside the root). */
	int probe = in_root(o->path, O_PATH, 0);
	if (probe >= 0) {
		if (fstat(probe, &before) < 0)
			FAIL("stat");
		close(probe);
		if (S_ISDIR(before.st_mode))
			return fail_path(EISDIR, "open", NULL);
		if (!S_ISREG(before.st_mode))
			return fail_path(EINVAL, "open", "not a regular file");
		fd = in_root(o->path, wflags, 0);
		if (fd < 0 || fstat(fd, &st) < 0)
			FAIL("open");
		if (!same_inode(&before, &st))
			return fail_path(EAGAIN, "open", "changed while being opened");
	} else if (errno == ENOENT && !o->append) {
		fd = in_root(o->path, wflags | O_CREAT | O_EXCL, mode);
		if (fd < 0 && errno == EEXIST) /* a dangling symlink: LXD creates its target */
			fd = in_root(o->path, wflags | O_CREAT, mode);
		if (fd < 0 || fstat(fd, &st) < 0)
			FAIL("create");
		created = 1;
	} else
		FAIL("open");

	if (!S_ISREG(st.st_mode))
		return fail_path(EINVAL, "open", "not a regular file");
	if (fcntl(fd, F_SETFL, wflags & ~O_NONBLOCK) < 0)
		FAIL("fcntl");
	if (!created && !o->append && ftruncate(fd, 0) < 0)
		FAIL("truncate");
	int r = copy_fd(STDIN_FILENO, fd, "write", -1);
	if (r == 0 && created)
		r = set_owner_mode(fd, o, mode);
	if (close(fd) < 0 && r == 0)
		FAIL("close");
	return r;
}

static int put_directory(const struct file_opts *o)
{
	mode_t mode = o->mode >= 0 ? (mode_t)o->mode : 0750;
	struct buf parent = { 0 };
	const char *name;
	int pfd = open_parent(o->path, &parent, &name);
	if (pfd < 0)
		FAIL("open parent of");
	if (mkdirat(pfd, name, mode) < 0) {
		if (errno != EEXIST)
			FAIL("mkdir");
		/* Existing path: a no-op, as in LXD, unless it is a dangling symlink. */
		int probe = in_root(o->path, O_PATH, 0);
		if (probe < 0)
			return fail_path(EEXIST, "mkdir", NULL);
		close(probe);
		return 0;
	}
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		FAIL("open");
	int r = set_owner_mode(fd, o, mode);
	close(fd);
	close(pfd);
	buf_free(&parent);
	return r;
}

static int put_symlink(const struct file_opts *o)
{
	char target[PATH_MAX], current[PATH_MAX];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, target + len, sizeof(target) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			FAIL("read target for");
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(target))
			return fail_path(ENAMETOOLONG, "symlink", NULL);
	}
	target[len] = '\0';
	if (memchr(target, '\0', len))
		return fail_path(EINVAL, "symlink", "the target has a NUL byte");

	struct buf parent = { 0 };
	const char *name;
	int pfd = open_parent(o->path, &parent, &name);
	if (pfd < 0)
		FAIL("open parent of");
	if (symlinkat(target, pfd, name) < 0) {
		if (errno != EEXIST)
			FAIL("symlink");
		ssize_t n = readlinkat(pfd, name, current, sizeof(current));
		if (n >= 0 && (size_t)n == len && memcmp(current, target, len) == 0)
			return 0; /* the same link already exists */
		return fail_path(EEXIST, "symlink", NULL);
	}
	if ((o->uid >= 0 || o->gid >= 0) &&
	    fchownat(pfd, name, (uid_t)o->uid, (gid_t)o->gid, AT_SYMLINK_NOFOLLOW) < 0)
		FAIL("chown");
	close(pfd);
	buf_free(&parent);
	return 0;
}

static int op_delete(const struct file_opts *o)
{
	struct buf parent = { 0 };
	const char *name;
	int pfd = open_parent(o->path, &parent, &name);
	if (pfd < 0)
		FAIL("open parent of");
	if (is_dot_name(name))
		return fail_path(EINVAL, "remove", NULL);
	if (unlinkat(pfd, name, 0) < 0) {
		if (errno != EISDIR)
			FAIL("remove");
		if (unlinkat(pfd, name, AT_REMOVEDIR) < 0)
			FAIL("remove");
	}
	close(pfd);
	buf_free(&parent);
	return 0;
}

/* Enters the namespaces of a running container's init and becomes the container's root. */
static int enter_pid(const char *pidstr)
{
	int pid;
	if (parse_pid(pidstr, &pid) < 0)
		return report(EINVAL, "bad --pid", NULL);
	int ufd = open_pid_ns(pid, "user");
	int mfd = open_pid_ns(pid, "mnt");
	if (ufd < 0 || mfd < 0)
		FAIL_SETUP("open the namespaces of --pid");
	/* A container always has its own mount namespace. If the pid shares ours it is not a
	 * container's init (wrong or reused pid): refuse rather than act as root on the host. */
	int own_mnt = is_own_ns(mfd, "mnt"), own_user = is_own_ns(ufd, "user");
	if (own_mnt < 0 || own_user < 0)
		FAIL_SETUP("stat namespaces");
	if (own_mnt)
		return report(EPERM, "--pid", "the process shares the helper's mount namespace, refusing");
	/* A privileged container shares the host user namespace: only the mount one is joined. */
	if (!own_user && setns(ufd, CLONE_NEWUSER) < 0)
		FAIL_SETUP("setns user");
	if (setns(mfd, CLONE_NEWNS) < 0)
		FAIL_SETUP("setns mnt");
	close(ufd);
	close(mfd);
	if (setgroups(0, NULL) < 0 || setgid(0) < 0 || setuid(0) < 0)
		FAIL_SETUP("become the container's root");
	if (chdir("/") < 0)
		FAIL_SETUP("chdir /");
	return 0;
}

/* A stopped container: chroot into its rootfs (which holds the container's own uids). */
static int enter_root(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fchdir(fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		FAIL_SETUP("chroot --root");
	close(fd);
	return 0;
}

/* Keeps only the capabilities file operations need: no mount, chroot, ptrace, setns... */
static int drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0, 0, 0 } };
	const int keep[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID };
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		data[keep[i] / 32].effective |= 1U << (keep[i] % 32);
		data[keep[i] / 32].permitted |= 1U << (keep[i] % 32);
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		FAIL_SETUP("drop capabilities");
	return 0;
}

static int parse_file_args(int argc, char **argv, struct file_opts *o)
{
	const char *type = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--append") == 0) {
			o->append = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			if (!o->op)
				o->op = a;
			else if (!o->path)
				cur_path = o->path = a;
			else
				goto bad;
			continue;
		}
		if (i + 1 >= argc)
			goto bad;
		const char *v = argv[++i];
		uint64_t n;
		if (strcmp(a, "--pid") == 0)
			o->pid = v;
		else if (strcmp(a, "--root") == 0)
			o->root = v;
		else if (strcmp(a, "--type") == 0)
			type = v;
		else if (strcmp(a, "--uid") == 0 && parse_num(v, 10, UINT32_MAX - 1, &n) == 0)
			o->uid = (int64_t)n;
		else if (strcmp(a, "--gid") == 0 && parse_num(v, 10, UINT32_MAX - 1, &n) == 0)
			o->gid = (int64_t)n;
		else if (strcmp(a, "--mode") == 0 && parse_num(v, 8, 07777, &n) == 0)
			o->mode = (int64_t)n;
		else if (strcmp(a, "--offset") == 0 && parse_num(v, 10, INT64_MAX, &n) == 0)
			o->offset = (int64_t)n;
		else if (strcmp(a, "--length") == 0 && parse_num(v, 10, INT64_MAX, &n) == 0)
			o->length = (int64_t)n;
		else
			goto bad;
	}
	if (!o->op || !o->path || !o->path[0] || !o->pid == !o->root)
		goto bad;
	if ((o->offset > 0 || o->length >= 0) && strcmp(o->op, "get") != 0)
		goto bad;
	if (type && strcmp(o->op, "put") != 0)
		goto bad;
	if (!type || strcmp(type, "file") == 0)
		o->type = PUT_FILE;
	else if (strcmp(type, "directory") == 0)
		o->type = PUT_DIRECTORY;
	else if (strcmp(type, "symlink") == 0)
		o->type = PUT_SYMLINK;
	else
		goto bad;
	if (o->append && o->type != PUT_FILE)
		goto bad;
	return 0;
bad:
	return report(EINVAL, "usage: lodge-helper file (--pid PID | --root DIR) get|stat|put|delete PATH [options]",
		      "bad arguments");
}

int cmd_file(int argc, char **argv)
{
	struct file_opts o = { .uid = -1, .gid = -1, .mode = -1, .length = -1 };
	if (parse_file_args(argc, argv, &o))
		return 1;

	/* Nothing inherited beyond stdio; write errors are reported, not fatal signals; nobody in
	 * the container may ptrace the helper; modes are applied exactly. */
	if (close_range(3, ~0U, 0) < 0)
		FAIL_SETUP("close_range");
	signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		FAIL_SETUP("prctl");
	umask(0);

	if ((o.pid ? enter_pid(o.pid) : enter_root(o.root)) != 0)
		return 1;
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		FAIL_SETUP("open /");
	if (drop_capabilities() != 0)
		return 1;

	if (strcmp(o.op, "get") == 0)
		return op_get(&o, 1);
	if (strcmp(o.op, "stat") == 0)
		return op_get(&o, 0);
	if (strcmp(o.op, "delete") == 0)
		return op_delete(&o);
	if (strcmp(o.op, "put") == 0) {
		switch (o.type) {
		case PUT_FILE: return put_file(&o);
		case PUT_DIRECTORY: return put_directory(&o);
		case PUT_SYMLINK: return put_symlink(&o);
		}
	}
	return report(EINVAL, o.op, "unknown operation");
}
