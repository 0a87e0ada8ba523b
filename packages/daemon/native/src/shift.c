/* shift: maps the owners of a whole tree in place, as LXD's (un)shifting of a container disk
 * does, for a container received from LXD (host-shifted ids) that lodge stores unshifted.
 *
 * The tree belongs to the container's previous owner, and the helper runs as host root, so
 * nothing is ever looked up by path from the root: the walk is our own, entry by entry, each
 * opened with openat2(parent, name, O_PATH | O_NOFOLLOW, RESOLVE_NO_XDEV | RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) on the pinned descriptor of its parent directory. That descriptor is
 * then the only handle on the inode: fstat, fchownat(AT_EMPTY_PATH), and chmod/xattr calls
 * through /proc/self/fd/N (which reach that very inode without opening it, so a FIFO or a
 * device node is never opened). A symlink is never followed (it is lchown'ed), a name swapped
 * for a symlink during the walk is handled as the symlink, a mount point is not entered
 * (EXDEV: nftw's FTW_MOUNT rule), and a directory is read only after it was opened that way.
 * nftw() was not used because it works on path strings resolved again from the root for every
 * entry: a directory replaced by a symlink after nftw's lstat redirects the next lookups.
 *
 * chown() clears what a shift must keep: setuid/setgid bits (restored from the first fstat)
 * and security.capability (read before chown, written back after, v3 rootid mapped). POSIX
 * ACLs survive chown, but their user/group qualifiers are ids and are mapped too. Inodes with
 * several links, and directories, are visited once (by device and inode number). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "helper.h"

#define MAX_RANGES 64

/* One range of a direction: ids [from, from + count) become [to, to + count). */
struct range {
	uint32_t from, to, count;
};

struct idmap {
	struct range r[MAX_RANGES];
	int n;
};

static struct idmap uids, gids;
static int reverse;

/* The path being worked on, relative to --root, for error messages. */
static struct buf cur_path;

static const char *where(void)
{
	return cur_path.len ? cur_path.data : ".";
}

static int fail(int err, const char *what)
{
	return report_about(err, what, where(), NULL);
}

/* 1 and *out set when id is in a range, 0 when it is left alone. */
static int map_id(const struct idmap *m, uint32_t id, uint32_t *out)
{
	for (int i = 0; i < m->n; i++)
		if (id >= m->r[i].from && id - m->r[i].from < m->r[i].count) {
			*out = m->r[i].to + (id - m->r[i].from);
			return 1;
		}
	return 0;
}

static int overlaps(uint32_t a, uint32_t an, uint32_t b, uint32_t bn)
{
	return (uint64_t)a < (uint64_t)b + bn && (uint64_t)b < (uint64_t)a + an;
}

/* --map KIND:HOSTID:NSID:RANGE. The last id of either side must stay below 2^32 - 1, which
 * chown reads as "unchanged". Overlapping ranges on either side are refused (-2): the mapping
 * must be one to one (and so reversible); -1 for a malformed one. */
static int add_map(const char *spec)
{
	char kind;
	uint64_t v[3];
	const char *p = spec;
	if (!(p[0] == 'u' || p[0] == 'g' || p[0] == 'b') || p[1] != ':')
		return -1;
	kind = p[0];
	p += 2;
	for (int i = 0; i < 3; i++) {
		const char *end = i < 2 ? strchr(p, ':') : p + strlen(p);
		char num[16];
		if (!end || end == p || (size_t)(end - p) >= sizeof(num))
			return -1;
		memcpy(num, p, (size_t)(end - p));
		num[end - p] = '\0';
		if (parse_num(num, 10, UINT32_MAX, &v[i]) < 0)
			return -1;
		p = *end ? end + 1 : end;
	}
	uint64_t host = v[0], ns = v[1], count = v[2];
	if (count == 0 || host + count > UINT32_MAX || ns + count > UINT32_MAX)
		return -1;
	struct range r = { .from = (uint32_t)(reverse ? ns : host), .to = (uint32_t)(reverse ? host : ns), .count = (uint32_t)count };
	struct idmap *maps[2] = { kind != 'g' ? &uids : NULL, kind != 'u' ? &gids : NULL };
	for (int k = 0; k < 2; k++) {
		struct idmap *m = maps[k];
		if (!m)
			continue;
		if (m->n >= MAX_RANGES)
			return -1;
		for (int i = 0; i < m->n; i++)
			if (overlaps(r.from, r.count, m->r[i].from, m->r[i].count) || overlaps(r.to, r.count, m->r[i].to, m->r[i].count))
				return -2;
		m->r[m->n++] = r;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Inodes already done: directories and files with several links, by (st_dev, st_ino). */

struct seen {
	uint64_t *keys; /* pairs dev, ino; dev == 0 && ino == 0 marks an empty slot */
	size_t cap, n;
};

static struct seen seen;

static size_t seen_hash(uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino ^ (dev * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
	return (size_t)(h ^ (h >> 29));
}

static void seen_put(uint64_t dev, uint64_t ino);

static void seen_grow(void)
{
	struct seen old = seen;
	seen.cap = old.cap ? old.cap * 2 : 4096;
	seen.n = 0;
	seen.keys = calloc(seen.cap * 2, sizeof(uint64_t));
	if (!seen.keys)
		abort();
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[2 * i] || old.keys[2 * i + 1])
			seen_put(old.keys[2 * i], old.keys[2 * i + 1]);
	free(old.keys);
}

static void seen_put(uint64_t dev, uint64_t ino)
{
	size_t i = seen_hash(dev, ino) & (seen.cap - 1);
	while (seen.keys[2 * i] || seen.keys[2 * i + 1])
		i = (i + 1) & (seen.cap - 1);
	seen.keys[2 * i] = dev;
	seen.keys[2 * i + 1] = ino;
	seen.n++;
}

/* 1 when (dev, ino) was seen before; records it otherwise. */
static int seen_check(const struct stat *st)
{
	uint64_t dev = st->st_dev, ino = st->st_ino;
	if (dev == 0 && ino == 0)
		ino = UINT64_MAX; /* never the empty marker */
	if (seen.n * 2 >= seen.cap)
		seen_grow();
	for (size_t i = seen_hash(dev, ino) & (seen.cap - 1); seen.keys[2 * i] || seen.keys[2 * i + 1]; i = (i + 1) & (seen.cap - 1))
		if (seen.keys[2 * i] == dev && seen.keys[2 * i + 1] == ino)
			return 1;
	seen_put(dev, ino);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Extended attributes: file capabilities and POSIX ACLs. */

#define XATTR_CAPS "security.capability"
#define XATTR_ACL_ACCESS "system.posix_acl_access"
#define XATTR_ACL_DEFAULT "system.posix_acl_default"

#define CAP_REV_MASK 0xff000000U
#define CAP_REV1 0x01000000U
#define CAP_REV2 0x02000000U
#define CAP_REV3 0x03000000U
#define CAP_SIZE1 12
#define CAP_SIZE2 20
#define CAP_SIZE3 24

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* The capability value to write back after a chown (which removed it), or after mapping its
 * rootid: *len is set to the new size; returns 1 when it differs from what was read.
 * - v3 carries the uid of the root user the capabilities are for (its namespace's root, as a
 *   host id): mapped like an owner; an unmapped rootid (another namespace's) stays.
 * - v1/v2 carry none. Read from the host they mean "the filesystem's root", which on an
 *   unshifted disk is the container's root (the kernel stores a capability the container sets
 *   through its idmapped mount as rootid 0, and shows it to the host as v2). Shifting towards
 *   the host (--reverse) therefore writes them as v3 with rootid = the host id of uid 0, as
 *   LXD's ShiftRootfs does: left as v2 they would become capabilities valid in every
 *   namespace, host included. Unshifting leaves them as they are. */
static int map_caps(unsigned char *caps, ssize_t *len)
{
	if (*len < 4)
		return 0;
	uint32_t magic = get_le32(caps), rev = magic & CAP_REV_MASK, root;
	if (rev == CAP_REV3 && *len == CAP_SIZE3) {
		if (!map_id(&uids, get_le32(caps + 20), &root))
			return 0;
		put_le32(caps + 20, root);
		return 1;
	}
	if (!reverse || !((rev == CAP_REV2 && *len == CAP_SIZE2) || (rev == CAP_REV1 && *len == CAP_SIZE1)))
		return 0;
	if (!map_id(&uids, 0, &root))
		return 0;
	memset(caps + *len, 0, (size_t)(CAP_SIZE3 - *len));
	put_le32(caps, (magic & ~CAP_REV_MASK) | CAP_REV3);
	put_le32(caps + 20, root);
	*len = CAP_SIZE3;
	return 1;
}

#define ACL_VERSION 2
#define ACL_TAG_USER 0x02
#define ACL_TAG_GROUP 0x08

/* Maps the qualifiers of ACL_USER and ACL_GROUP entries (struct posix_acl_xattr_header: le32
 * version; then entries of le16 tag, le16 perm, le32 id). 1 when one changed, -1 malformed. */
static int map_acl(unsigned char *v, ssize_t len)
{
	if (len < 4 || (len - 4) % 8 != 0 || get_le32(v) != ACL_VERSION)
		return -1;
	int changed = 0;
	for (unsigned char *e = v + 4; e < v + len; e += 8) {
		unsigned tag = (unsigned)e[0] | (unsigned)e[1] << 8;
		uint32_t id;
		if ((tag == ACL_TAG_USER && map_id(&uids, get_le32(e + 4), &id)) || (tag == ACL_TAG_GROUP && map_id(&gids, get_le32(e + 4), &id))) {
			if (id != get_le32(e + 4))
				changed = 1;
			put_le32(e + 4, id);
		}
	}
	return changed;
}

/* A buffer for attribute values and lists, grown as needed. */
struct xbuf {
	char *data;
	size_t cap;
};

static void xbuf_fit(struct xbuf *b, size_t n)
{
	if (n <= b->cap)
		return;
	char *p = realloc(b->data, n);
	if (!p)
		abort();
	b->data = p;
	b->cap = n;
}

/* getxattr/listxattr through the size query, retrying if the value grew meanwhile (ERANGE). */
static ssize_t get_xattr(const char *proc, const char *name, struct xbuf *b)
{
	for (;;) {
		ssize_t n = name ? getxattr(proc, name, NULL, 0) : listxattr(proc, NULL, 0);
		if (n <= 0)
			return n;
		xbuf_fit(b, (size_t)n);
		ssize_t m = name ? getxattr(proc, name, b->data, (size_t)n) : listxattr(proc, b->data, (size_t)n);
		if (m >= 0 || errno != ERANGE)
			return m;
	}
}

/* Which of the three attributes the inode has (one listxattr instead of three lookups). */
enum { HAS_CAPS = 1, HAS_ACL_ACCESS = 2, HAS_ACL_DEFAULT = 4 };

static int list_xattrs(const char *proc, int *has)
{
	static struct xbuf list;
	*has = 0;
	ssize_t n = get_xattr(proc, NULL, &list);
	if (n < 0)
		return errno == ENOTSUP ? 0 : -1;
	for (const char *p = list.data; p && p < list.data + n; p += strlen(p) + 1) {
		if (strcmp(p, XATTR_CAPS) == 0)
			*has |= HAS_CAPS;
		else if (strcmp(p, XATTR_ACL_ACCESS) == 0)
			*has |= HAS_ACL_ACCESS;
		else if (strcmp(p, XATTR_ACL_DEFAULT) == 0)
			*has |= HAS_ACL_DEFAULT;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */

static uint64_t n_entries, n_changed;

/* Maps the owner, ACLs and capabilities of the inode fd (O_PATH) refers to. */
static int shift_inode(int fd, const struct stat *st)
{
	char proc[40];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	uint32_t uid = st->st_uid, gid = st->st_gid;
	int new_uid = map_id(&uids, st->st_uid, &uid) && uid != st->st_uid;
	int new_gid = map_id(&gids, st->st_gid, &gid) && gid != st->st_gid;
	int changed = 0, has = 0;
	unsigned char caps[CAP_SIZE3 + 8];
	ssize_t caps_len = -1;

	/* Symlinks carry no ACLs or capabilities (LXD leaves their xattrs alone too). */
	if (!S_ISLNK(st->st_mode)) {
		if (list_xattrs(proc, &has) < 0)
			return fail(errno, "listxattr");
		if (has & HAS_CAPS) {
			caps_len = getxattr(proc, XATTR_CAPS, caps, CAP_SIZE3);
			if (caps_len < 0 && errno != ENODATA)
				return fail(errno, "read capabilities of");
		}
	}

	if (new_uid || new_gid) {
		if (fchownat(fd, "", new_uid ? uid : (uid_t)-1, new_gid ? gid : (gid_t)-1, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return fail(errno, "chown");
		changed = 1;
	}
	if (S_ISLNK(st->st_mode)) {
		n_changed += (uint64_t)changed;
		return 0;
	}

	static struct xbuf acl;
	const char *acl_names[2] = { XATTR_ACL_ACCESS, XATTR_ACL_DEFAULT };
	for (int i = 0; i < 2; i++) {
		if (!(has & (i ? HAS_ACL_DEFAULT : HAS_ACL_ACCESS)))
			continue;
		ssize_t n = get_xattr(proc, acl_names[i], &acl);
		if (n == 0 || (n < 0 && errno == ENODATA))
			continue;
		if (n < 0)
			return fail(errno, "read the ACL of");
		int r = map_acl((unsigned char *)acl.data, n);
		if (r < 0)
			return report_about(EINVAL, "read the ACL of", where(), "malformed ACL");
		if (r && setxattr(proc, acl_names[i], acl.data, (size_t)n, 0) < 0)
			return fail(errno, "write the ACL of");
		changed |= r;
	}

	if (caps_len >= 0) {
		int r = map_caps(caps, &caps_len);
		/* chown removed the capabilities of a non-directory: write them back even unchanged. */
		if ((r || ((new_uid || new_gid) && !S_ISDIR(st->st_mode))) && setxattr(proc, XATTR_CAPS, caps, (size_t)caps_len, 0) < 0)
			return fail(errno, "write the capabilities of");
		changed |= r;
	}

	/* chown of a non-directory cleared setuid (and setgid): put the mode back last. */
	if ((new_uid || new_gid) && !S_ISDIR(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
	    fchmodat(AT_FDCWD, proc, st->st_mode & 07777, 0) < 0)
		return fail(errno, "chmod");
	n_changed += (uint64_t)changed;
	return 0;
}

/* openat2 of one name in a pinned directory: the entry itself (a symlink is not followed),
 * never across a mount point, never outside the directory. */
static int open_entry(int dirfd, const char *name)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_NO_XDEV | RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return openat2_retry(dirfd, name, &how);
}

/* The names in a directory (without . and ..), NUL-separated into b. */
static int read_names(int dirfd, struct buf *b)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	static char chunk[64 * 1024];
	for (;;) {
		long n = syscall(SYS_getdents64, fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(chunk + off);
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			buf_add(b, d->d_name, strlen(d->d_name) + 1);
		}
	}
	close(fd);
	return 0;
}

/* One directory being walked: its O_PATH descriptor, its names, the next one to do. */
struct frame {
	int fd;
	struct buf names;
	size_t pos;
	size_t path_len;
};

static int walk(int root_fd)
{
	struct stat st;
	if (fstat(root_fd, &st) < 0)
		return fail(errno, "stat");
	seen_check(&st);
	n_entries++;
	if (shift_inode(root_fd, &st))
		return 1;

	size_t depth = 0, cap = 64;
	struct frame *stack = calloc(cap, sizeof(*stack));
	if (!stack)
		abort();
	stack[0].fd = root_fd;
	if (read_names(root_fd, &stack[0].names) < 0)
		return fail(errno, "read directory");
	depth = 1;

	while (depth > 0) {
		struct frame *f = &stack[depth - 1];
		if (f->pos >= f->names.len) {
			if (f->fd != root_fd)
				close(f->fd);
			buf_free(&f->names);
			cur_path.len = f->path_len;
			if (cur_path.data)
				cur_path.data[cur_path.len] = '\0';
			depth--;
			continue;
		}
		const char *name = f->names.data + f->pos;
		f->pos += strlen(name) + 1;

		size_t parent_len = cur_path.len;
		if (cur_path.len)
			buf_str(&cur_path, "/");
		buf_str(&cur_path, name);

		int fd = open_entry(f->fd, name);
		if (fd < 0) {
			/* Gone since the directory was read, or a mount point: nothing to do here. */
			if (errno == ENOENT || errno == EXDEV)
				goto next;
			if (errno == EMFILE)
				return report_about(EMFILE, "open", where(), "the tree is deeper than the open files limit");
			return fail(errno, "open");
		}
		if (fstat(fd, &st) < 0)
			return fail(errno, "stat");
		n_entries++;
		if ((S_ISDIR(st.st_mode) || st.st_nlink > 1) && seen_check(&st)) {
			close(fd);
			goto next;
		}
		if (shift_inode(fd, &st))
			return 1;
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			goto next;
		}
		if (depth == cap) {
			cap *= 2;
			stack = realloc(stack, cap * sizeof(*stack));
			if (!stack)
				abort();
		}
		f = &stack[depth];
		memset(f, 0, sizeof(*f));
		f->fd = fd;
		f->path_len = parent_len;
		if (read_names(fd, &f->names) < 0)
			return fail(errno, "read directory");
		depth++;
		continue;
	next:
		cur_path.len = parent_len;
		cur_path.data[cur_path.len] = '\0';
	}
	free(stack);
	return 0;
}

/* Keeps only what the walk needs: chown, reading any directory, chmod and ACLs of files the
 * helper does not own, keeping setgid, and writing file capabilities. */
static int drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0, 0, 0 } };
	const int keep[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_SETFCAP };
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		data[keep[i] / 32].effective |= 1U << (keep[i] % 32);
		data[keep[i] / 32].permitted |= 1U << (keep[i] % 32);
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return report(errno, "drop capabilities", NULL);
	return 0;
}

/* One descriptor is held per directory level: allow as many as the system does. */
static void raise_nofile(void)
{
	struct rlimit rl;
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");
	unsigned long nr = 0;
	if (f) {
		if (fscanf(f, "%lu", &nr) != 1)
			nr = 0;
		fclose(f);
	}
	if (nr > 0) {
		rl.rlim_cur = rl.rlim_max = nr;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

#define USAGE "usage: lodge-helper shift --root DIR [--reverse] --map u|g|b:HOSTID:NSID:RANGE..."

int cmd_shift(int argc, char **argv)
{
	const char *root = NULL;
	const char *maps[2 * MAX_RANGES + 1];
	int n_maps = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reverse") == 0) {
			reverse = 1;
			continue;
		}
		if (i + 1 >= argc)
			return report(EINVAL, USAGE, "bad arguments");
		if (strcmp(argv[i], "--root") == 0 && !root)
			root = argv[++i];
		else if (strcmp(argv[i], "--map") == 0 && n_maps < (int)(sizeof(maps) / sizeof(maps[0])))
			maps[n_maps++] = argv[++i];
		else
			return report(EINVAL, USAGE, "bad arguments");
	}
	if (!root || !root[0] || n_maps == 0)
		return report(EINVAL, USAGE, "bad arguments");
	/* Directions are known only once every argument was seen (--reverse may come last). */
	for (int i = 0; i < n_maps; i++) {
		int r = add_map(maps[i]);
		if (r < 0)
			return report_about(EINVAL, "--map", maps[i], r == -2 ? "overlaps another range" : "bad map");
	}

	if (close_range(3, ~0U, 0) < 0)
		return report(errno, "close_range", NULL);
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return report(errno, "prctl", NULL);
	raise_nofile();

	/* xattrs and chmod go through /proc/self/fd/N: it must be the real procfs. */
	struct statfs sfs;
	errno = 0;
	if (statfs("/proc/self/fd", &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return report(errno ? errno : ENOENT, "/proc/self/fd", "procfs is needed");

	/* The root is the daemon's own path: components before the last may be symlinks (the
	 * daemon's storage layout), the last may not. */
	int root_fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root_fd < 0)
		return report_about(errno, "open", root, NULL);
	if (drop_capabilities() != 0)
		return 1;
	if (walk(root_fd) != 0)
		return 1;
	printf("{\"entries\":%llu,\"changed\":%llu}\n", (unsigned long long)n_entries, (unsigned long long)n_changed);
	return fflush(stdout) == 0 ? 0 : report(errno, "write", NULL);
}
