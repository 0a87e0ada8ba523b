/* lodge-helper: entry point. `attach` runs a command in a running container through liblxc;
 * `file` reads and writes files that always resolve inside a container's root filesystem;
 * `mount`/`umount` hot-plug host paths into a running container; `cgroup-set` changes a
 * running container's cgroup (device rules); `netinfo` reads containers' interfaces; `notify`
 * is the LXC hook that tells the daemon over its unix socket; `netcat` is rsync's remote shell
 * for migration; `shift` maps the owners of a received container tree in place; `overlay`
 * mounts a layered instance volume (its layers idmapped for the container, or not). */
#include <stdio.h>
#include <string.h>

#include "helper.h"

static void usage(FILE *f)
{
	fputs("usage:\n"
	      "  lodge-helper attach --lxcpath DIR --name NAME --cgroup CGROUP [--uid N] [--gid N] [--cwd PATH]\n"
	      "                      [--env K=V]... [--pty ROWSxCOLS [--control-fd N] | --wait-fd N] -- CMD [ARG...]\n"
	      "  lodge-helper file (--pid PID | --root DIR) get|stat PATH\n"
	      "  lodge-helper file (--pid PID | --root DIR) put PATH --type file|directory|symlink\n"
	      "                      [--uid N] [--gid N] [--mode OCTAL] [--append]\n"
	      "  lodge-helper file (--pid PID | --root DIR) delete PATH\n"
	      "  lodge-helper mount --pid PID --source HOSTPATH --target PATH [--readonly] [--recursive]\n"
	      "                     [--shift] [--propagation private|slave|shared|unbindable]\n"
	      "  lodge-helper umount --pid PID --target PATH\n"
	      "  lodge-helper cgroup-set --lxcpath DIR --name NAME KEY VALUE\n"
	      "  lodge-helper netinfo --pid PID [--pid PID]...\n"
	      "  lodge-helper notify --socket PATH --url /PATH [--method M] [--timeout-ms N]\n"
	      "                      [--env-query VAR=param]...\n"
	      "  lodge-helper netcat SOCKET\n"
	      "  lodge-helper shift --root DIR [--reverse] --map u|g|b:HOSTID:NSID:RANGE...\n"
	      "  lodge-helper overlay --target DIR --lower DIR [--lower DIR]... [--rw DIR] [--source NAME]\n"
	      "                       [--map u|g|b:HOSTID:NSID:RANGE]... [--readonly]\n",
	      f);
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "attach", cmd_attach },   { "file", cmd_file },	    { "mount", cmd_mount },	    { "umount", cmd_umount },
	{ "notify", cmd_notify },   { "netinfo", cmd_netinfo }, { "cgroup-set", cmd_cgroup_set },
	{ "netcat", cmd_netcat },   { "shift", cmd_shift },	    { "overlay", cmd_overlay },
};

int main(int argc, char **argv)
{
	for (size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
