/* corral monitor NAME FD [--restore IMAGES_DIR [--paused] [--lazy] [--go GO_FD]]:
 * internal, run by startwpar and restartwpar (and a relocation's arrival,
 * whose monitor waits on GO_FD before it restores) as the process that
 * follows a partition. */
#define LOG_PREFIX "monitor: "
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "partition/lifecycle.h"
#include "restore/restore.h"

int cmd_monitor(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	long fd, go = -1;
	bool restore = argc >= 5 && !strcmp(argv[3], "--restore");
	int i = 5;
	bool paused = restore && i < argc && !strcmp(argv[i], "--paused");
	i += paused;
	bool lazy = restore && i < argc && !strcmp(argv[i], "--lazy");
	i += lazy;
	bool usage = (argc != 3 && !restore) || cli_parse_long(argv[2], 3, 1024, &fd) < 0;
	if (!usage && restore && i + 1 < argc && !strcmp(argv[i], "--go")) {
		usage = cli_parse_long(argv[i + 1], 3, 1024, &go) < 0;
		i += 2;
	}
	if (usage || (restore && i != argc))
		return cli_usage_error("corral monitor", v->usage,
				       "internal command, run by startwpar and restartwpar");
	int r = restore ? cr_monitor_restore(argv[1], argv[4], paused, lazy, (int)go, (int)fd, err)
			: cr_monitor_run(argv[1], (int)fd, err);
	if (r < 0)
		fprintf(stderr, "cor_%s: %s\n", argv[1], cr_error_msg(err));
	return r < 0 ? 1 : 0;
}
