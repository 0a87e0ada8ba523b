/* cgroup-set: one cgroup setting of a running container through liblxc's set_cgroup_item(),
 * for what the daemon cannot write as a plain file: device rules. On a cgroup2-only host
 * `devices.allow` / `devices.deny` have no file, liblxc asks the container's monitor to update
 * the container's BPF device program; on a cgroup1 devices hierarchy it writes the file. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <lxc/lxccontainer.h>

#include "helper.h"

int cmd_cgroup_set(int argc, char **argv)
{
	const char *lxcpath = NULL, *name = NULL, *key = NULL, *value = NULL;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--lxcpath") == 0)
			lxcpath = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--name") == 0)
			name = argv[++i];
		else if (strncmp(argv[i], "--", 2) != 0 && !key)
			key = argv[i];
		else if (strncmp(argv[i], "--", 2) != 0 && !value)
			value = argv[i];
		else
			key = NULL, i = argc;
	}
	if (!lxcpath || !name || !key || !value || !*key || strchr(key, '/') || strstr(key, ".."))
		return report(EINVAL, "usage: lodge-helper cgroup-set --lxcpath DIR --name NAME KEY VALUE", "bad arguments");
	if (close_range(3, ~0U, 0) < 0)
		return report(errno, "close_range", NULL);

	struct lxc_container *c = helper_container_new(name, lxcpath);
	if (!c)
		return report(ENOENT, name, "cannot load the container");
	int r = 0;
	if (!c->is_running(c))
		r = report(ESRCH, name, "the container is not running");
	else if (!c->set_cgroup_item(c, key, value)) {
		struct buf m = { 0 };
		buf_fmt(&m, "set %s=%s", key, value);
		r = report(errno ? errno : EIO, m.data, errno ? NULL : "refused by liblxc");
		buf_free(&m);
	}
	helper_container_put(c);
	return r;
}
