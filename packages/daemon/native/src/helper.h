/* lodge-helper: the few things lodged cannot do from Node (see README.md beside this folder). */
#ifndef LODGE_HELPER_H
#define LODGE_HELPER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Exit code of `attach` when the helper itself failed (bad arguments, container not running,
 * liblxc refused): the command never ran. 126/127 keep their shell meaning. */
#define EXIT_ATTACH_FAILED 125

int cmd_attach(int argc, char **argv);
int cmd_file(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_umount(int argc, char **argv);
int cmd_notify(int argc, char **argv);
int cmd_netinfo(int argc, char **argv);
int cmd_cgroup_set(int argc, char **argv);
int cmd_netcat(int argc, char **argv);
int cmd_shift(int argc, char **argv);
int cmd_overlay(int argc, char **argv);

/* attach --pty (pty.c). pty_open: a pty from the devpts instance whose root devpts is (-1: the
 * host's /dev/ptmx), the slave owned by uid:gid with mode 0600, hupcl clocal, rows x cols; returns
 * the master (close-on-exec, like the slave) or -1 with errno and the failed step in *what.
 * pty_relay: relays stdin -> master and master -> stdout, applies "resize ROWS COLS" lines read
 * from ctl (-1: none), forwards signals in set (blocked by the caller) sent by other processes to
 * pid, and returns pid's exit status once it exited and its output is drained, leaving pid a
 * zombie (see child_exit). */
int pty_open(int devpts, uid_t uid, gid_t gid, unsigned rows, unsigned cols, int *slave, int *index, const char **what);
int pty_relay(int master, int ctl, pid_t pid, const sigset_t *set);

/* attach's cgroup placement (cgplace.c). cg_place_open: the container's cgroup base (one path
 * component, which its init pid must live in) in every hierarchy: the v1 `tasks` files and the
 * unified leaf base/.lxc (made, owned by the container's root, when missing); -1 with errno and
 * the failed step in *what. cg_fork_into: fork(), the child born in the unified leaf.
 * cg_enter_v1: moves the calling single-threaded process into the v1 cgroups. */
#define CG_MAX_V1 32
struct cg_place {
	int v1[CG_MAX_V1];
	size_t nv1;
	int unified; /* -1: none */
};
int cg_place_open(struct cg_place *p, const char *base, pid_t init, const char **what);
pid_t cg_fork_into(const struct cg_place *p);
int cg_enter_v1(const struct cg_place *p);
void cg_place_close(struct cg_place *p);

/* liblxc, loaded on first use (lxc.c): lxc_container_new / lxc_container_put. */
struct lxc_container;
struct lxc_container *helper_container_new(const char *name, const char *lxcpath);
void helper_container_put(struct lxc_container *c);

/* A growable byte buffer; out of memory aborts the helper (nothing sensible to do then). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_add(struct buf *b, const char *s, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_fmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal. Bytes >= 0x80 pass through unchanged (a UTF-8 reader
 * replaces invalid sequences); quotes, backslashes and control characters are escaped. */
void buf_json(struct buf *b, const char *s);
void buf_free(struct buf *b);

/* Parses a whole decimal (base 10) or octal (base 8) number no larger than max; -1 on error. */
int parse_num(const char *s, int base, uint64_t max, uint64_t *out);
/* Writes all of n bytes, retrying on EINTR and short writes; -1 with errno on error. */
int write_all(int fd, const void *p, size_t n);

/* Reports an error as one JSON line on stderr: {"error":"<msg>: <reason>","errno":N}; the
 * reason is strerror(err) unless given. Returns 1 (the exit status of a failed operation). */
int report(int err, const char *msg, const char *reason);
/* report() of "<what> <path>". */
int report_about(int err, const char *what, const char *path, const char *reason);

/* openat2(), retried on EAGAIN (a concurrent rename or mount the kernel could not rule out
 * with RESOLVE_IN_ROOT or RESOLVE_BENEATH) and EINTR, up to 32 times. */
struct open_how;
int openat2_retry(int dirfd, const char *path, const struct open_how *how);
/* openat2(root, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), O_CLOEXEC added: ".." and
 * absolute symlinks stay under root, /proc magic links are refused. Retries on EAGAIN (a
 * concurrent rename or mount the kernel could not rule out) and EINTR. */
int open_in_root(int root, const char *path, int flags, mode_t mode);

static inline int same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Parses a container init pid (2..INT32_MAX); -1 on error. */
int parse_pid(const char *s, int *pid);
/* Opens /proc/PID/ns/NAME read-only; a vanished process gives ESRCH (not ENOENT). */
int open_pid_ns(int pid, const char *name);
/* 1 when fd is the helper's own namespace NAME, 0 when not, -1 with errno on error. */
int is_own_ns(int fd, const char *name);
/* The host id that id 0 of process pid's user namespace maps to (map: "uid_map"/"gid_map");
 * -1 with errno when unmapped or unreadable. */
int64_t host_id_of_root(int pid, const char *map);
/* Whether child pid has exited, without reaping it: 1 with its status (128+N when killed by signal
 * N) in *code, 0 when it has not (block: wait until it has), -1 with errno. attach leaves the
 * command a zombie so that its middle process is gone before the container can finish dying. */
int child_exit(pid_t pid, int block, int *code);
/* The host id that id of process pid's user namespace maps to; -1 with errno when unmapped
 * (EOVERFLOW) or unreadable. */
int64_t host_id(int pid, const char *map, uint64_t id);

#endif
