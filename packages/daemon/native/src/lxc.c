/* liblxc, loaded only by the commands that use it (attach, cgroup-set): the others (file, mount,
 * netinfo, notify) start without mapping liblxc and its dependencies, which is most of their
 * start-up time. Only two symbols are needed; everything else is a function pointer in
 * struct lxc_container. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include <lxc/lxccontainer.h>

#include "helper.h"

static struct lxc_container *(*container_new)(const char *name, const char *configpath);
static int (*container_put)(struct lxc_container *c);

static int load(void)
{
	if (container_new && container_put)
		return 0;
	void *lib = dlopen("liblxc.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "lodge-helper: cannot load liblxc: %s\n", dlerror());
		errno = ENOSYS;
		return -1;
	}
	container_new = (struct lxc_container * (*)(const char *, const char *)) dlsym(lib, "lxc_container_new");
	container_put = (int (*)(struct lxc_container *))dlsym(lib, "lxc_container_put");
	if (!container_new || !container_put) {
		fprintf(stderr, "lodge-helper: liblxc without lxc_container_new/put\n");
		errno = ENOSYS;
		return -1;
	}
	return 0;
}

struct lxc_container *helper_container_new(const char *name, const char *lxcpath)
{
	return load() < 0 ? NULL : container_new(name, lxcpath);
}

void helper_container_put(struct lxc_container *c)
{
	if (c && container_put)
		container_put(c);
}
