/* A partition named on the command line: known before a word is said about
 * it; and the start that startwpar and rebootwpar share. */
#define LOG_PREFIX "cli: "
#include "cli/named.h"

#include <stdio.h>

#include "cli/commands.h"
#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/registry.h"

int cli_named_known(const char *prog, const char *name)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_wpar w;
	if (cr_registry_load(name, &w, &err) < 0) {
		int rc = cli_report(prog, &err);
		cr_error_clear(&err);
		return rc;
	}
	cr_wpar_free(&w);
	return 0;
}

static void print_started(const char *name)
{
	struct cr_error err = CR_ERROR_INIT;
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

int cli_start_one(const char *prog, const char *name, bool verbose)
{
	struct cr_error err = CR_ERROR_INIT;
	if (cli_named_known(prog, name))
		return 1;
	printf("Starting workload partition %s.\n", name);
	fflush(stdout);
	if (cr_partition_start(name, "/proc/self/exe", &err) < 0) {
		int rc = cli_report(prog, &err);
		cr_error_clear(&err);
		return rc;
	}
	if (verbose)
		print_started(name);
	printf("Workload partition %s is active.\n", name);
	return 0;
}
