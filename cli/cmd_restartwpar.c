/* restartwpar: restore a partition from its checkpoint image. A job of
 * wparexec -c is followed in the foreground: its output is relayed and
 * restartwpar exits with the job's own exit status. */
#define LOG_PREFIX "restartwpar: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "partition/app_job.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "restore/restore.h"
#include "util/paths.h"

/* How much of NAME's job output was already shown: its size now. The file
 * is made again if it went, since CRIU reopens it (one defined from the
 * image gets it in cr_partition_restart). */
static off_t output_shown(const char *name)
{
	struct cr_wpar w;
	off_t size = 0;
	if (!cr_registry_exists(name) || cr_registry_load(name, &w, NULL) < 0)
		return 0;
	if (w.config.type == CR_TYPE_APPLICATION && w.config.checkpointable)
		(void)cr_app_job_output_prepare(name, &size, NULL);
	cr_wpar_free(&w);
	return size;
}

/* A restored wparexec -c job: relay its output until it ends, then its exit
 * status (the partition removed), CR_APP_JOB_CHECKPOINTED_EXIT when chkptwpar
 * -k took it away again, or -1 with ERR set. Another partition: 0. */
static int follow_job(const char *prog, const char *name, off_t shown, struct cr_error *err)
{
	struct cr_wpar w;
	if (cr_registry_load(name, &w, err) < 0)
		return -1;
	bool job = w.config.type == CR_TYPE_APPLICATION && w.config.checkpointable;
	pid_t monitor = w.state.monitor_pid;
	cr_wpar_free(&w);
	if (!job)
		return 0;
	fflush(stdout);
	struct cr_app_job_end end;
	if (cr_app_job_follow(name, monitor, shown, STDOUT_FILENO, &end, err) < 0)
		return -1;
	if (end.checkpointed) {
		fprintf(stderr, "%s: job %s was checkpointed and stopped by chkptwpar -k; restart it with: restartwpar -i IMAGE %s\n",
			prog, name, name);
		return CR_APP_JOB_CHECKPOINTED_EXIT;
	}
	/* An application partition is gone when its command has exited. */
	struct cr_remove_options rm = {.force = true};
	struct cr_error ignored = CR_ERROR_INIT;
	cr_partition_remove(name, &rm, &ignored);
	cr_error_clear(&ignored);
	return end.exit_code;
}

int cmd_restartwpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	const char *prog = v->name, *usage = v->usage;
	struct cli_parsed p;
	int rc = cli_parse_options(prog, usage, "d:i:pK:H:v", argc, argv, &p);
	if (rc)
		return rc;
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
	if (dir && cr_path_join(&image, dir, name, ".wpar", err) < 0) {
		rc = cli_failed(err);
		goto out;
	}
	if (!dir && !(image = strdup(file))) {
		rc = cli_usage_error(prog, NULL, "out of memory");
		goto out;
	}
	struct cr_restart_request req = {
		.name = name,
		.image = image,
		.paused = cli_option_count(&p, 'p') > 0,
		.keys = {.key_file = cli_option_arg(&p, 'K'),
			 .host_key_file = cli_option_arg(&p, 'H'),
			 .key_flag = "-K",
			 .host_key_flag = "-H"},
		.self_exe = "/proc/self/exe",
	};
	off_t shown = output_shown(name);
	/* Nothing is said before the restart: its errors (an unknown name, a
	 * missing image, a key not given) come alone. */
	if (cr_partition_restart(&req, err) < 0) {
		rc = cli_failed(err);
		goto out;
	}
	printf("Workload partition %s restarted from %s: it is %s.\n", name, image,
	       req.paused ? "paused" : "active");
	if (!req.paused && (rc = follow_job(prog, name, shown, err)) < 0)
		rc = cli_failed(err);
out:
	free(image);
	cli_parsed_free(&p);
	return rc;
}
