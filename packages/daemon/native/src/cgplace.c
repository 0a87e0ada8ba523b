/* cgplace: puts an attached command into its container's cgroups without the kernel's global
 * cgroup write lock.
 *
 * liblxc's attach writes the command's pid to cgroup.procs in every hierarchy. That takes
 * cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period whenever no other
 * migration happened just before: 8-20 ms on an idle host, most of an exec. Two migrations
 * skip that lock: a single-threaded process writing "0" (itself) to a v1 hierarchy's `tasks`
 * file, and clone3(CLONE_INTO_CGROUP), which creates a process directly in a cgroup2 cgroup.
 * So the helper forks the process that calls liblxc straight into the unified leaf (`.lxc`,
 * where liblxc puts attached processes) and the command, just before its exec, writes "0" to
 * the v1 `tasks` files the helper opened on the host (the kernel checks the opener's
 * credentials, so this works from inside the container's user namespace). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "helper.h"

static const char cgroup_root[] = "/sys/fs/cgroup";

/* base is one path component, as lodged names cgroups (lodge-ID.payload.NAME). */
static int valid_base(const char *base)
{
	size_t n = strlen(base);
	return n > 0 && n < 256 && !strchr(base, '/') && strcmp(base, ".") != 0 && strcmp(base, "..") != 0;
}

/* Whether process pid lives in base or below it in some hierarchy: a wrong --cgroup must not
 * put a command into another container's cgroups. */
static int init_in(pid_t pid, const char *base)
{
	char path[64], line[4096];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = strlen(base);
	int found = 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		if (!p || p[1] != '/' || strncmp(p + 2, base, n) != 0)
			continue;
		char end = p[2 + n];
		found = end == '/' || end == '\n' || end == '\0';
	}
	fclose(f);
	return found;
}

static int fs_type(int fd, long *type)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return -1;
	*type = (long)sf.f_type;
	return 0;
}

/* The unified leaf: base/.lxc, made (owned by the container's root, as liblxc makes it) when
 * missing. Returns its descriptor, -2 when the container has no unified cgroup, -1 on error. */
static int open_unified(int hierarchy, const char *base, pid_t init)
{
	char leaf[512];
	snprintf(leaf, sizeof(leaf), "%s/.lxc", base);
	int fd = openat(hierarchy, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd; /* the common case: an earlier exec made it */
	int dir = openat(hierarchy, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return errno == ENOENT ? -2 : -1;
	if (mkdirat(dir, ".lxc", 0755) == 0) {
		int64_t uid = host_id_of_root(init, "uid_map"), gid = host_id_of_root(init, "gid_map");
		if (uid < 0 || gid < 0 || fchownat(dir, ".lxc", (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0) {
			int err = errno;
			unlinkat(dir, ".lxc", AT_REMOVEDIR);
			close(dir);
			errno = err;
			return -1;
		}
	} else if (errno != EEXIST) {
		int err = errno;
		close(dir);
		errno = err;
		return -1;
	}
	fd = openat(dir, ".lxc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int err = errno;
	close(dir);
	errno = err;
	return fd;
}

/* Adds base/tasks of a v1 hierarchy; a hierarchy where the container has no cgroup is skipped. */
static int add_v1(struct cg_place *p, int hierarchy, const char *base)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/tasks", base);
	int fd = openat(hierarchy, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (p->nv1 >= CG_MAX_V1) {
		close(fd);
		errno = E2BIG;
		return -1;
	}
	p->v1[p->nv1++] = fd;
	return 0;
}

/* One entry of /sys/fs/cgroup: a v1 hierarchy, the unified one, or something else (skipped). */
static int add_hierarchy(struct cg_place *p, int fd, const char *base, pid_t init)
{
	long type;
	if (fs_type(fd, &type) < 0)
		return -1;
	if (type == CGROUP_SUPER_MAGIC)
		return add_v1(p, fd, base);
	if (type != CGROUP2_SUPER_MAGIC || p->unified >= 0)
		return 0;
	int leaf = open_unified(fd, base, init);
	if (leaf == -1)
		return -1;
	p->unified = leaf < 0 ? -1 : leaf;
	return 0;
}

static int scan_hierarchies(struct cg_place *p, DIR *d, const char *base, pid_t init)
{
	int root = dirfd(d);
	long type;
	if (fs_type(root, &type) < 0)
		return -1;
	if (type == CGROUP2_SUPER_MAGIC) /* a cgroup2-only host */
		return add_hierarchy(p, root, base, init);
	struct dirent *e;
	int ret = 0;
	while (ret == 0 && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.') /* cpu,cpuacct-style names are symlinks */
			continue;
		int fd = openat(root, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* vanished meanwhile */
		ret = add_hierarchy(p, fd, base, init);
		int err = errno;
		close(fd);
		errno = err;
	}
	return ret;
}

int cg_place_open(struct cg_place *p, const char *base, pid_t init, const char **what)
{
	p->nv1 = 0;
	p->unified = -1;
	*what = "checking the cgroup name";
	if (!valid_base(base)) {
		errno = EINVAL;
		return -1;
	}
	*what = "finding the container's init in it";
	if (!init_in(init, base)) {
		errno = ESRCH;
		return -1;
	}
	*what = "opening its hierarchies";
	DIR *d = opendir(cgroup_root);
	if (!d)
		return -1;
	int ret = scan_hierarchies(p, d, base, init);
	int err = errno;
	closedir(d);
	if (ret < 0) {
		cg_place_close(p);
		errno = err;
	}
	return ret;
}

pid_t cg_fork_into(const struct cg_place *p)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	if (p->unified >= 0) {
		args.flags = CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)p->unified;
	}
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

int cg_enter_v1(const struct cg_place *p)
{
	for (size_t i = 0; i < p->nv1; i++)
		if (write(p->v1[i], "0", 1) != 1)
			return -1;
	return 0;
}

void cg_place_close(struct cg_place *p)
{
	for (size_t i = 0; i < p->nv1; i++)
		close(p->v1[i]);
	p->nv1 = 0;
	if (p->unified >= 0)
		close(p->unified);
	p->unified = -1;
}
