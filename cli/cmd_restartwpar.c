/* restartwpar: restore a partition from its checkpoint image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "restore/restore.h"

static const char usage[] =
	"restartwpar (-d directory | -i file) [-p] [-K keyfile] [-H hostkeyfile] [-v] name";

int cmd_restartwpar(int argc, char **argv)
{
	const char *prog = "restartwpar";
	struct cli_parsed p;
	int rc = cli_parse_options(prog, usage, "d:i:pK:H:v", argc, argv, &p);
	if (rc)
		return rc;
	struct cr_error err = CR_ERROR_INIT;
	char *image = NULL;
	const char *dir = cli_option_arg(&p, 'd'), *file = cli_option_arg(&p, 'i');
	if (p.first_operand != argc - 1) {
		rc = cli_usage_error(prog, usage, "name exactly one partition");
		goto out;
	}
	if (!dir == !file) {
		rc = cli_usage_error(prog, usage, "give one of -d directory or -i file");
		goto out;
	}
	const char *name = argv[p.first_operand];
	if (dir ? asprintf(&image, "%s/%s.wpar", dir, name) < 0 : !(image = strdup(file))) {
		rc = cli_usage_error(prog, NULL, "out of memory");
		goto out;
	}
	struct cr_restart_request req = {
		.name = name,
		.image = image,
		.paused = cli_option_count(&p, 'p') > 0,
		.keys = {.key_file = cli_option_arg(&p, 'K'), .host_key_file = cli_option_arg(&p, 'H')},
		.self_exe = "/proc/self/exe",
	};
	printf("Restarting workload partition %s from %s.\n", name, image);
	fflush(stdout);
	if (cr_partition_restart(&req, &err) < 0) {
		rc = cli_report(prog, &err);
		goto out;
	}
	printf("Workload partition %s is %s.\n", name, req.paused ? "paused" : "active");
out:
	free(image);
	cr_error_clear(&err);
	cli_parsed_free(&p);
	return rc;
}
