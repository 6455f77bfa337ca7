/* wparexec: run one command in an application partition, which lives as long
 * as the command's processes and returns the command's exit status. */
#define LOG_PREFIX "wparexec: "
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "cli/options.h"
#include "partition/app_job.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "spec/attrs.h"
#include "util/cleanup.h"
#include "util/log.h"

/* -c: the job's output comes through its output file (partition/app_job.h).
 * Its exit status, or CR_APP_JOB_CHECKPOINTED_EXIT when chkptwpar -k took it
 * away (then its partition stays, for restartwpar), or a negative error. */
static int run_job(const char *prog, const struct cr_wpar_config *cfg, char **cmd, bool *registered,
		   struct cr_error *err)
{
	cleanup_free char *output = NULL;
	off_t offset = 0;
	struct cr_app_job_relayer relay = {.pid = 0, .stop_fd = -1};
	int status = 0;
	if (cr_app_job_output_prepare(cfg->name, &offset, err) < 0 ||
	    cr_app_job_output_path(cfg->name, &output, err) < 0 ||
	    cr_app_job_relay_start(output, offset, STDOUT_FILENO, &relay, err) < 0)
		return -EIO;
	int r = cr_partition_exec(cfg, cmd, &status, err);
	cr_app_job_relay_stop(&relay);
	if (r < 0)
		return r;
	struct cr_app_job_end end;
	if ((r = cr_app_job_read_end(cfg->name, &end, err)) < 0)
		return r;
	if (!end.checkpointed)
		return end.exit_code;
	*registered = false; /* it lives on in its image */
	fprintf(stderr, "%s: job %s was checkpointed and stopped by chkptwpar -k; restart it with: restartwpar -i IMAGE %s\n",
		prog, cfg->name, cfg->name);
	return CR_APP_JOB_CHECKPOINTED_EXIT;
}

int cmd_wparexec(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	const char *prog = v->name, *usage = v->usage;
	struct cli_parsed p;
	int rc = cli_parse_options(prog, usage, "n:ch:N*R*S*v", argc, argv, &p);
	if (rc)
		return rc;
	struct cr_wpar_config cfg;
	cr_config_init(&cfg);
	bool registered = false;
	if (p.first_operand >= argc) {
		rc = cli_usage_error(prog, usage, "name the command to run");
		goto out;
	}
	char **cmd = argv + p.first_operand;
	if (cli_option_count(&p, 'v'))
		cr_log_set_debug(1);
	/* AIX names the partition after the command unless -n says otherwise. */
	const char *name = cli_option_arg(&p, 'n');
	char *cmd_copy = strdup(cmd[0]);
	if (!cmd_copy) {
		rc = cli_usage_error(prog, NULL, "out of memory");
		goto out;
	}
	int r = cr_attr_set(&cfg, CR_STANZA_GENERAL, "name", name ? name : basename(cmd_copy), err);
	free(cmd_copy);
	if (r < 0 || cr_attr_set(&cfg, CR_STANZA_GENERAL, "directory", "/", err) < 0)
		goto fail;
	cfg.type = CR_TYPE_APPLICATION;
	if (cli_apply_config_flags(&p, &cfg, err) < 0 || cr_partition_create(&cfg, err) < 0)
		goto fail;
	registered = true;
	int status = 0;
	if (cfg.checkpointable && cfg.n_netifs > 0) {
		cr_error_set(err, EINVAL, "a checkpointable job (-c) shares the host's network: it takes no -N");
		goto fail;
	}
	if (cfg.checkpointable) {
		rc = run_job(prog, &cfg, cmd, &registered, err);
		if (rc < 0)
			goto fail;
		goto out;
	}
	if (cr_partition_exec(&cfg, cmd, &status, err) < 0)
		goto fail;
	rc = status;
	goto out;
fail:
	rc = cli_failed(err); /* reported with status 125, as env(1): wparexec failed, not the command */
out:
	if (registered) {
		/* An application partition is gone when its command has exited. */
		struct cr_remove_options rm = {.force = true};
		struct cr_error ignored = CR_ERROR_INIT;
		cr_partition_remove(cfg.name, &rm, &ignored);
		cr_error_clear(&ignored);
	}
	cr_config_free(&cfg);
	cli_parsed_free(&p);
	return rc;
}
