/* stopwpar: stop partitions (with -r, or as rebootwpar, start them again). */
#define LOG_PREFIX "stopwpar: "
#include <stdio.h>

#include "cli/commands.h"
#include "cli/named.h"
#include "cli/options.h"
#include "partition/lifecycle.h"
#include "util/log.h"

struct stop_request {
	struct cr_stop_options opts;
	bool reboot;
};

static int stop_one(const char *prog, const char *name, const struct stop_request *req)
{
	struct cr_error err = CR_ERROR_INIT;
	if (cli_named_known(prog, name))
		return 1;
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
	return cli_start_one(prog, name, false);
}

int cli_stop_verb(const struct cli_verb *v, bool reboot, int argc, char **argv)
{
	const char *prog = v->name, *usage = v->usage;
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
		rc = cli_usage_error(prog, usage, "name a partition to %s", reboot ? "reboot" : "stop");
		goto out;
	}
	for (int i = p.first_operand; i < argc; i++)
		if (stop_one(prog, argv[i], &req))
			rc = 1;
out:
	cli_parsed_free(&p);
	return rc;
}

int cmd_stopwpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	(void)err; /* each name's failure is reported as it comes */
	return cli_stop_verb(v, false, argc, argv);
}
