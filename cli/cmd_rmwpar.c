/* rmwpar: remove a partition. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "partition/lifecycle.h"
#include "relocate/relocation_record.h"

int cmd_rmwpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	struct cli_parsed p;
	int rc = cli_parse_options(v->name, v->usage, "Fpsv", argc, argv, &p);
	if (rc)
		return rc;
	struct cr_remove_options opts = {
		.force = cli_option_count(&p, 'F') > 0,
		.stop = cli_option_count(&p, 's') > 0,
		.preserve = cli_option_count(&p, 'p') > 0,
	};
	if (p.first_operand >= argc)
		rc = cli_usage_error(v->name, v->usage, "name a partition to remove");
	for (int i = p.first_operand; i < argc && rc != 2; i++) {
		/* Each name's failure is reported as it comes. */
		if (cr_partition_remove(argv[i], &opts, err) < 0) {
			rc = cli_report(v->name, err);
			cr_error_clear(err);
			continue;
		}
		cr_relocation_forget(argv[i]); /* an unsettled relocation's copy is gone */
		printf("rmwpar: Removed workload partition %s%s.\n", argv[i],
		       opts.preserve ? " (file systems preserved)" : "");
		cr_error_clear(err);
	}
	cli_parsed_free(&p);
	return rc;
}
