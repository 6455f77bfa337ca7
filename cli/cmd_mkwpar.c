/* mkwpar: create a system partition. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "cli/options.h"
#include "partition/lifecycle.h"
#include "spec/attrs.h"
#include "spec/spec_file.h"

int cmd_mkwpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	const char *prog = v->name, *usage = v->usage;
	struct cli_parsed p;
	int rc = cli_parse_options(prog, usage, "n:h:d:AcsrlpM*N*R*S*f:o:wu:v", argc, argv, &p);
	if (rc)
		return rc;
	struct cr_wpar_config cfg;
	cr_config_init(&cfg);
	if (p.first_operand < argc) {
		rc = cli_usage_error(prog, usage, "unexpected argument '%s'", argv[p.first_operand]);
		goto out;
	}
	const char *spec_in = cli_option_arg(&p, 'f'), *name = cli_option_arg(&p, 'n');
	const char *spec_out = cli_option_arg(&p, 'o');
	if (!name && !spec_in) {
		rc = cli_usage_error(prog, usage, "a partition name is required (-n name)");
		goto out;
	}
	if (cli_option_count(&p, 'w') && !spec_out) {
		rc = cli_usage_error(prog, usage, "-w needs -o outspec");
		goto out;
	}
	if (spec_in && cr_spec_read_file(spec_in, &cfg, err) < 0)
		goto fail;
	if (name && cr_attr_set(&cfg, CR_STANZA_GENERAL, "name", name, err) < 0)
		goto fail;
	if (!cfg.name) {
		rc = cli_usage_error(prog, usage, "the spec file %s names no partition: give -n name", spec_in);
		goto out;
	}
	cfg.type = CR_TYPE_SYSTEM;
	if (cli_apply_config_flags(&p, &cfg, err) < 0)
		goto fail;
	if (cli_option_count(&p, 'w')) {
		if (cr_config_complete(&cfg, err) < 0 || cr_config_validate(&cfg, err) < 0 ||
		    cr_spec_write_file(spec_out, &cfg, err) < 0)
			goto fail;
		printf("mkwpar: specification file %s written.\n", spec_out);
		goto out;
	}
	if (cr_partition_create(&cfg, err) < 0)
		goto fail;
	if (spec_out && cr_spec_write_file(spec_out, &cfg, err) < 0)
		goto fail;
	printf("Workload partition %s created successfully.\n", cfg.name);
	if (cli_option_count(&p, 's')) {
		printf("Starting workload partition %s.\n", cfg.name);
		if (cr_partition_start(cfg.name, "/proc/self/exe", err) < 0)
			goto fail;
		printf("Workload partition %s is active.\n", cfg.name);
	} else {
		printf("mkwpar: 0960-390 To start the workload partition, execute the following as root: startwpar [-v] %s\n",
		       cfg.name);
	}
	goto out;
fail:
	rc = cli_failed(err);
out:
	cr_config_free(&cfg);
	cli_parsed_free(&p);
	return rc;
}
