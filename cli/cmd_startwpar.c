/* startwpar: start a system partition; stopwpar, rebootwpar: stop it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/registry.h"
#include "util/log.h"

static int start_one(const char *prog, const char *name, bool verbose)
{
	struct cr_error err = CR_ERROR_INIT;
	printf("Starting workload partition %s.\n", name);
	fflush(stdout);
	if (cr_partition_start(name, "/proc/self/exe", &err) < 0) {
		int rc = cli_report(prog, &err);
		cr_error_clear(&err);
		return rc;
	}
	if (verbose) {
		struct cr_wpar w;
		if (cr_registry_load(name, &w, &err) == 0) {
			char comm[16];
			cr_monitor_comm(name, comm, sizeof(comm));
			printf("Workload partition subsystem %s has started. Subsystem PID is %d.\n", comm,
			       (int)w.state.monitor_pid);
			printf("Partition init PID is %d.\n", (int)w.state.init_pid);
			cr_wpar_free(&w);
		}
		cr_error_clear(&err);
	}
	printf("Workload partition %s is active.\n", name);
	return 0;
}

int cmd_startwpar(int argc, char **argv)
{
	static const char usage[] = "startwpar [-v] name ...";
	struct cli_parsed p;
	int rc = cli_parse_options("startwpar", usage, "v", argc, argv, &p);
	if (rc)
		return rc;
	bool verbose = cli_option_count(&p, 'v') > 0;
	if (verbose)
		cr_log_set_debug(1);
	if (p.first_operand >= argc)
		rc = cli_usage_error("startwpar", usage, "name a partition to start");
	for (int i = p.first_operand; i < argc && rc != 2; i++)
		if (start_one("startwpar", argv[i], verbose))
			rc = 1;
	cli_parsed_free(&p);
	return rc;
}

struct stop_request {
	struct cr_stop_options opts;
	bool reboot;
};

static int stop_one(const char *prog, const char *name, const struct stop_request *req)
{
	struct cr_error err = CR_ERROR_INIT;
	printf("Stopping workload partition %s.\n", name);
	if (!req->opts.force) {
		if (req->opts.timeout_s < 0)
			printf("%s: 0960-261 Waiting for workload partition to halt.\n", prog);
		else
			printf("%s: 0960-261 Waiting up to %d seconds for workload partition to halt.\n", prog,
			       req->opts.timeout_s);
	}
	fflush(stdout);
	if (cr_partition_stop(name, &req->opts, &err) < 0) {
		int rc = cli_report(prog, &err);
		cr_error_clear(&err);
		return rc;
	}
	printf("Workload partition %s stopped.\n", name);
	if (!req->reboot)
		return 0;
	return start_one(prog, name, false);
}

static int stop_command(const char *prog, bool reboot, int argc, char **argv)
{
	static const char usage[] = "stopwpar [-F] [-h] [-r] [-t seconds | -N] [-v] name ...";
	struct cli_parsed p;
	int rc = cli_parse_options(prog, usage, "FhrNt:v", argc, argv, &p);
	if (rc)
		return rc;
	struct stop_request req = {.opts = {.force = false, .timeout_s = 600}, .reboot = reboot};
	req.opts.force = cli_option_count(&p, 'F') > 0;
	req.reboot = reboot || cli_option_count(&p, 'r') > 0;
	if (cli_option_count(&p, 'h'))
		req.opts.timeout_s = 60; /* AIX: a hard stop waits 60 seconds */
	const char *t = cli_option_arg(&p, 't');
	long secs;
	if (t && cli_parse_long(t, 0, 86400, &secs) < 0) {
		rc = cli_usage_error(prog, usage, "invalid timeout '%s': give seconds from 0 to 86400", t);
		goto out;
	}
	if (t)
		req.opts.timeout_s = (int)secs;
	if (cli_option_count(&p, 'N'))
		req.opts.timeout_s = -1;
	if (cli_option_count(&p, 'v'))
		cr_log_set_debug(1);
	if (p.first_operand >= argc) {
		rc = cli_usage_error(prog, usage, "name a partition to stop");
		goto out;
	}
	for (int i = p.first_operand; i < argc; i++)
		if (stop_one(prog, argv[i], &req))
			rc = 1;
out:
	cli_parsed_free(&p);
	return rc;
}

int cmd_stopwpar(int argc, char **argv)
{
	return stop_command("stopwpar", false, argc, argv);
}

int cmd_rebootwpar(int argc, char **argv)
{
	return stop_command("rebootwpar", true, argc, argv);
}

/* corral monitor NAME FD [--restore IMAGES_DIR [--paused]]: internal. */
int cmd_monitor(int argc, char **argv)
{
	long fd;
	bool restore = argc >= 5 && !strcmp(argv[3], "--restore");
	bool paused = restore && argc == 6 && !strcmp(argv[5], "--paused");
	if ((argc != 3 && !restore) || (restore && argc > 5 + paused) ||
	    cli_parse_long(argv[2], 3, 1024, &fd) < 0) {
		fprintf(stderr, "corral monitor: internal command, run by startwpar and restartwpar\n");
		return 2;
	}
	struct cr_error err = CR_ERROR_INIT;
	int r = restore ? cr_monitor_restore(argv[1], argv[4], paused, (int)fd, &err)
			: cr_monitor_run(argv[1], (int)fd, &err);
	if (r < 0)
		fprintf(stderr, "cor_%s: %s\n", argv[1], cr_error_msg(&err));
	cr_error_clear(&err);
	return r < 0 ? 1 : 0;
}
