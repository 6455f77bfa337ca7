/* clogin: log in to, or run a command in, a running system partition. */
#define LOG_PREFIX "clogin: "
#include <stdio.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "partition/clogin.h"

int cmd_clogin(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	const char *usage = v->usage;
	if (argc < 2 || argv[1][0] == '-')
		return cli_usage_error("clogin", usage, "name the partition first");
	/* AIX: clogin WparName [-l user] [cmd [args]] */
	struct cli_parsed p;
	int rc = cli_parse_options("clogin", usage, "l:", argc - 1, argv + 1, &p);
	if (rc)
		return rc;
	struct cr_clogin_request req = {
		.name = argv[1],
		.user = cli_option_arg(&p, 'l'),
		.argv = p.first_operand + 1 < argc ? argv + 1 + p.first_operand : NULL,
	};
	int status = 0;
	if (cr_clogin(&req, &status, err) < 0)
		status = cli_failed(err);
	cli_parsed_free(&p);
	return status;
}
