/* overlay: mounts an overlayfs whose layers may be idmapped, for layered instance volumes.
 *
 * The kernel refuses to idmap an overlay mount itself, but accepts idmapped layers. So an
 * unprivileged container's root is an overlay of the image's rootfs and the instance's upper
 * directory, each cloned (open_tree) and idmapped (mount_setattr) with a user namespace made
 * for the mapping, then handed to the overlay as file descriptors (fsconfig FSCONFIG_SET_FD,
 * Linux 6.13+). The layers stay detached: nothing but the overlay holds them, so they go away
 * with it. Without --map the same call makes the daemon's own (unshifted) view.
 *
 * Layers on disk keep unshifted owners either way: which view is mounted decides what the
 * reader sees. The overlay options are fixed (index, metacopy, redirect_dir and xino off) so
 * that an upper directory written through one view reads the same through the other. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/securebits.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

#define MAX_LOWER 16
#define MAX_MAPS 64
#define USAGE                                                                                          \
	"usage: lodge-helper overlay --target DIR --lower DIR [--lower DIR]... [--rw DIR] [--source NAME]\n" \
	"                            [--map u|g|b:HOSTID:NSID:RANGE]... [--readonly]"

struct overlay_opts {
	const char *target, *source, *rw; /* rw holds the upper and work directories (one mount for both) */
	const char *lower[MAX_LOWER];
	int n_lower;
	const char *maps[MAX_MAPS];
	int n_maps;
	int readonly;
};

/* Appends "NSID HOSTID RANGE\n" lines of the given kind ('u' or 'g') for the maps that apply. */
static int map_lines(const struct overlay_opts *o, char kind, struct buf *out)
{
	for (int i = 0; i < o->n_maps; i++) {
		const char *m = o->maps[i];
		unsigned long host, ns, count;
		char k;
		if (sscanf(m, "%c:%lu:%lu:%lu", &k, &host, &ns, &count) != 4 || !(k == 'u' || k == 'g' || k == 'b') || count == 0)
			return report_about(EINVAL, "--map", m, "bad map");
		if (k == kind || k == 'b')
			buf_fmt(out, "%lu %lu %lu\n", ns, host, count);
	}
	return 0;
}

static int write_file(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = write_all(fd, b->data, b->len);
	int err = errno;
	close(fd);
	errno = err;
	return r;
}

/* A user namespace with the given maps, as an fd: a child unshares one and waits while the
 * helper (host root) writes its maps; the fd keeps the namespace once the child is gone. */
static int make_userns(const struct overlay_opts *o)
{
	struct buf u = { 0 }, g = { 0 };
	if (map_lines(o, 'u', &u) || map_lines(o, 'g', &g))
		return -1;
	int ready[2], done[2];
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		return report(errno, "pipe", NULL), -1;
	pid_t child = fork();
	if (child < 0)
		return report(errno, "fork", NULL), -1;
	if (child == 0) {
		char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		close(done[1]);
		(void)!read(done[0], &c, 1); /* until the parent closes its end */
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	char c = 'n', path[64];
	int fd = -1;
	if (read(ready[0], &c, 1) != 1 || c != 'y') {
		report(EPERM, "unshare user namespace", NULL);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/uid_map", child);
		if (write_file(path, &u) < 0) {
			report(errno, "write uid_map", NULL);
		} else {
			snprintf(path, sizeof(path), "/proc/%d/gid_map", child);
			if (write_file(path, &g) < 0) {
				report(errno, "write gid_map", NULL);
			} else {
				snprintf(path, sizeof(path), "/proc/%d/ns/user", child);
				fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					report(errno, "open the user namespace", NULL);
			}
		}
	}
	close(done[1]);
	close(ready[0]);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	buf_free(&u);
	buf_free(&g);
	return fd;
}

/* A detached clone of path, idmapped with userns unless it is -1. */
static int layer_tree(const char *path, int userns)
{
	int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return report_about(errno, "clone", path, NULL), -1;
	if (userns >= 0) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
		if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
			return report_about(errno, "idmap", path, NULL), close(fd), -1;
	}
	return fd;
}

/* overlayfs takes private clones of its layers, which the kernel allows only from mounts
 * attached in the caller's namespace: the idmapped clones are attached on a tmpfs stage in a
 * private mount namespace of the helper, which goes away with it. */
static int make_stage(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return report(errno, "unshare mnt", NULL), -1;
	struct mount_attr priv = { .propagation = MS_PRIVATE };
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &priv, sizeof(priv)) < 0)
		return report(errno, "make the stage namespace private", NULL), -1;
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return report(errno, "create the stage tmpfs", NULL), -1;
	int stage = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	close(fs);
	if (stage < 0 || move_mount(stage, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return report(errno, "attach the stage", NULL), -1;
	return stage;
}

/* Attaches tree as stage/name and returns an O_PATH descriptor of its root. */
static int stage_layer(int stage, int tree, const char *name)
{
	if (mkdirat(stage, name, 0700) < 0 || move_mount(tree, "", stage, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return report_about(errno, "stage layer", name, NULL), -1;
	int fd = openat(stage, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		report_about(errno, "open layer", name, NULL);
	return fd;
}

/* Hands fd (closed here) to the overlay as key; fd < 0 is a failed open of path, reported. */
static int set_fd(int fs, const char *key, int fd, const char *path)
{
	if (fd < 0)
		return report_about(errno, key, path, NULL), -1;
	int r = fsconfig(fs, FSCONFIG_SET_FD, key, NULL, fd);
	if (r < 0)
		report_about(errno, key, path, NULL);
	close(fd);
	return r;
}

/* Clones every layer first (the stage hides the host's "/"), then stages and hands them over. */
static int set_layers(int fs, const struct overlay_opts *o, int userns)
{
	int trees[MAX_LOWER + 1];
	for (int i = 0; i < o->n_lower; i++)
		if ((trees[i] = layer_tree(o->lower[i], userns)) < 0)
			return -1;
	if (o->rw && (trees[o->n_lower] = layer_tree(o->rw, userns)) < 0)
		return -1;
	int stage = make_stage();
	if (stage < 0)
		return -1;
	char name[16];
	for (int i = 0; i < o->n_lower; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		if (set_fd(fs, "lowerdir+", stage_layer(stage, trees[i], name), o->lower[i]) < 0)
			return -1;
	}
	if (o->rw) {
		int rw = stage_layer(stage, trees[o->n_lower], "rw");
		if (rw < 0)
			return -1;
		int r = set_fd(fs, "upperdir", openat(rw, "upper", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), o->rw);
		if (r == 0)
			r = set_fd(fs, "workdir", openat(rw, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), o->rw);
		close(rw);
		return r;
	}
	return 0;
}

/* The host id that ns id 0 maps to in kind ('u' or 'g'), or -1. */
static long mapped_root(const struct overlay_opts *o, char kind)
{
	for (int i = 0; i < o->n_maps; i++) {
		unsigned long host, ns, count;
		char k;
		if (sscanf(o->maps[i], "%c:%lu:%lu:%lu", &k, &host, &ns, &count) == 4 && (k == kind || k == 'b') && ns == 0)
			return (long)host;
	}
	return -1;
}

/* overlayfs works in its upper layer with the credentials of whoever created it, and an
 * idmapped layer refuses to create anything for an id outside its map (EOVERFLOW): the helper
 * creates the overlay as the container's root (fsuid/fsgid), keeping its capabilities. */
static int become_mapped_root(const struct overlay_opts *o)
{
	long uid = mapped_root(o, 'u'), gid = mapped_root(o, 'g');
	if (uid < 0 || gid < 0)
		return report(EINVAL, "--map", "id 0 is not mapped"), -1;
	if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED) < 0)
		return report(errno, "keep capabilities", NULL), -1;
	setfsgid((gid_t)gid);
	setfsuid((uid_t)uid);
	if ((long)setfsuid((uid_t)-1) != uid || (long)setfsgid((gid_t)-1) != gid)
		return report(EPERM, "become the container's root", NULL), -1;
	return 0;
}

static int parse_overlay_args(int argc, char **argv, struct overlay_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (strcmp(a, "--readonly") == 0)
			o->readonly = 1;
		else if (strcmp(a, "--target") == 0 && has)
			o->target = argv[++i];
		else if (strcmp(a, "--source") == 0 && has)
			o->source = argv[++i];
		else if (strcmp(a, "--rw") == 0 && has)
			o->rw = argv[++i];
		else if (strcmp(a, "--lower") == 0 && has && o->n_lower < MAX_LOWER)
			o->lower[o->n_lower++] = argv[++i];
		else if (strcmp(a, "--map") == 0 && has && o->n_maps < MAX_MAPS)
			o->maps[o->n_maps++] = argv[++i];
		else
			return report(EINVAL, USAGE, "bad arguments");
	}
	if (!o->target || o->n_lower == 0)
		return report(EINVAL, USAGE, "missing arguments");
	return 0;
}

int cmd_overlay(int argc, char **argv)
{
	struct overlay_opts o = { 0 };
	if (parse_overlay_args(argc, argv, &o))
		return 1;
	int hostns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (hostns < 0)
		return report(errno, "open the mount namespace", NULL);
	int userns = o.n_maps > 0 ? make_userns(&o) : -1;
	if (o.n_maps > 0 && userns < 0)
		return 1;
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return report(errno, "fsopen overlay", NULL);
	static const char *const off[] = { "index", "metacopy", "redirect_dir", "xino" };
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", o.source ? o.source : "lodge", 0) < 0)
		return report(errno, "overlay source", NULL);
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (fsconfig(fs, FSCONFIG_SET_STRING, off[i], "off", 0) < 0)
			return report_about(errno, "overlay option", off[i], NULL);
	if (set_layers(fs, &o, userns) < 0)
		return 1;
	if (o.n_maps > 0 && become_mapped_root(&o) < 0)
		return 1;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return report(errno, "create the overlay", NULL);
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, o.readonly ? MOUNT_ATTR_RDONLY : 0);
	if (mnt < 0)
		return report(errno, "fsmount the overlay", NULL);
	if (setns(hostns, CLONE_NEWNS) < 0)
		return report(errno, "setns back to the host", NULL);
	if (move_mount(mnt, "", AT_FDCWD, o.target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return report_about(errno, "attach the overlay on", o.target, NULL);
	return 0;
}
