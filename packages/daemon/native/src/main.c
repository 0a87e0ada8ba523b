/* lodge-helper: entry point. `attach` runs a command in a running container through liblxc;
 * `file` reads and writes files that always resolve inside a container's root filesystem. */
#include <stdio.h>
#include <string.h>

#include "helper.h"

static void usage(FILE *f)
{
	fputs("usage:\n"
	      "  lodge-helper attach --lxcpath DIR --name NAME [--uid N] [--gid N] [--cwd PATH]\n"
	      "                      [--env K=V]... -- CMD [ARG...]\n"
	      "  lodge-helper file (--pid PID | --root DIR) get|stat PATH\n"
	      "  lodge-helper file (--pid PID | --root DIR) put PATH --type file|directory|symlink\n"
	      "                      [--uid N] [--gid N] [--mode OCTAL] [--append]\n"
	      "  lodge-helper file (--pid PID | --root DIR) delete PATH\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "attach") == 0)
		return cmd_attach(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "file") == 0)
		return cmd_file(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
