/* resumewpar: resume partitions left Paused (chkptwpar -p, restartwpar -p,
 * an unsettled relocation's copy with -F). */
#define LOG_PREFIX "resumewpar: "
#include <stdio.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "relocate/arrival.h"

static int resume_one(const char *prog, const char *name, bool force)
{
	struct cr_error err = CR_ERROR_INIT;
	int rc = 0;
	if (cr_arrival_resume(name, force, &err) < 0)
		rc = cli_report(prog, &err);
	else
		printf("Workload partition %s is active.\n", name);
	cr_error_clear(&err);
	return rc;
}

int cmd_resumewpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	(void)err; /* each name's failure is reported as it comes */
	struct cli_parsed p;
	int rc = cli_parse_options(v->name, v->usage, "F", argc, argv, &p);
	if (rc)
		return rc;
	bool force = cli_option_count(&p, 'F') > 0;
	if (p.first_operand >= argc)
		rc = cli_usage_error(v->name, v->usage, "name a partition to resume");
	for (int i = p.first_operand; i < argc && rc != 2; i++)
		if (resume_one(v->name, argv[i], force))
			rc = 1;
	cli_parsed_free(&p);
	return rc;
}
