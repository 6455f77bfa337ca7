/* startwpar: start system partitions. */
#define LOG_PREFIX "startwpar: "
#include "cli/commands.h"
#include "cli/named.h"
#include "cli/options.h"
#include "util/log.h"

int cmd_startwpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	(void)err; /* each name's failure is reported as it comes */
	struct cli_parsed p;
	int rc = cli_parse_options(v->name, v->usage, "v", argc, argv, &p);
	if (rc)
		return rc;
	bool verbose = cli_option_count(&p, 'v') > 0;
	if (verbose)
		cr_log_set_debug(1);
	if (p.first_operand >= argc)
		rc = cli_usage_error(v->name, v->usage, "name a partition to start");
	for (int i = p.first_operand; i < argc && rc != 2; i++)
		if (cli_start_one(v->name, argv[i], verbose))
			rc = 1;
	cli_parsed_free(&p);
	return rc;
}
