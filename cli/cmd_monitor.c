/* corral monitor NAME FD [--restore IMAGES_DIR [--paused]]: internal, run by
 * startwpar and restartwpar as the process that follows a partition. */
#define LOG_PREFIX "monitor: "
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "partition/lifecycle.h"
#include "restore/restore.h"

int cmd_monitor(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	long fd;
	bool restore = argc >= 5 && !strcmp(argv[3], "--restore");
	bool paused = restore && argc == 6 && !strcmp(argv[5], "--paused");
	if ((argc != 3 && !restore) || (restore && argc > 5 + paused) ||
	    cli_parse_long(argv[2], 3, 1024, &fd) < 0)
		return cli_usage_error("corral monitor", v->usage,
				       "internal command, run by startwpar and restartwpar");
	int r = restore ? cr_monitor_restore(argv[1], argv[4], paused, (int)fd, err)
			: cr_monitor_run(argv[1], (int)fd, err);
	if (r < 0)
		fprintf(stderr, "cor_%s: %s\n", argv[1], cr_error_msg(err));
	return r < 0 ? 1 : 0;
}
