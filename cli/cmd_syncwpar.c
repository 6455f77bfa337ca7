/* syncwpar: bring system partitions' root parts up to date with the global
 * environment (the /etc files mkwpar copied and the package database). */
#define LOG_PREFIX "syncwpar: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/named.h"
#include "cli/options.h"
#include "partition/registry.h"
#include "partition/sync.h"

struct printer {
	bool preview;
	bool verbose;
};

static void print_event(const struct cr_sync_event *ev, void *data)
{
	const struct printer *pr = data;
	static const char *const done[] = {"added", "updated", "removed", "kept"};
	static const char *const would[] = {"would add", "would update", "would remove", "would keep"};
	if (ev->action == CR_SYNC_KEPT)
		printf("  %s %s: %s\n", pr->preview ? would[ev->action] : done[ev->action], ev->path,
		       ev->reason);
	else if (pr->preview || pr->verbose)
		printf("  %s %s\n", pr->preview ? would[ev->action] : done[ev->action], ev->path);
}

static int sync_one(const char *name, size_t index, size_t total, struct printer *pr)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_sync_options opts = {pr->preview, print_event, pr};
	struct cr_sync_summary sum;
	if (cli_named_known("syncwpar", name))
		return 1;
	printf("Synchronizing workload partition %s (%zu of %zu).\n", name, index, total);
	fflush(stdout);
	if (cr_partition_sync(name, &opts, &sum, &err) < 0) {
		int rc = cli_report("syncwpar", &err);
		cr_error_clear(&err);
		return rc;
	}
	size_t changed = sum.added + sum.updated + sum.removed;
	if (pr->preview)
		printf("Workload partition %s: %zu file%s would change, %zu kept (preview: nothing was changed).\n",
		       name, changed, changed == 1 ? "" : "s", sum.kept);
	else
		printf("Workload partition %s synchronized: %zu added, %zu updated, %zu removed, %zu kept.\n",
		       name, sum.added, sum.updated, sum.removed, sum.kept);
	if (sum.packages_skipped && pr->verbose)
		printf("  package database kept: %s has a private /usr\n", name);
	return 0;
}

static int sync_all(struct printer *pr)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_wpar *list = NULL;
	size_t n = 0, total = 0, index = 0;
	if (cr_registry_list(&list, &n, &err) < 0) {
		int rc = cli_report("syncwpar", &err);
		cr_error_clear(&err);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		total += list[i].config.type == CR_TYPE_SYSTEM;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		if (list[i].config.type == CR_TYPE_SYSTEM && sync_one(list[i].config.name, ++index, total, pr))
			rc = 1;
	if (!total)
		printf("syncwpar: there is no system partition to synchronize.\n");
	cr_wpar_list_free(list, n);
	return rc;
}

int cmd_syncwpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	(void)err; /* each name's failure is reported as it comes */
	const char *usage = v->usage;
	struct cli_parsed p;
	int rc = cli_parse_options("syncwpar", usage, "Apv", argc, argv, &p);
	if (rc)
		return rc;
	struct printer pr = {cli_option_count(&p, 'p') > 0, cli_option_count(&p, 'v') > 0};
	bool all = cli_option_count(&p, 'A') > 0;
	if (all && p.first_operand < argc)
		rc = cli_usage_error("syncwpar", usage, "-A synchronizes every partition: name none");
	else if (!all && p.first_operand >= argc)
		rc = cli_usage_error("syncwpar", usage, "name a partition, or -A for all of them");
	else if (all)
		rc = sync_all(&pr);
	for (int i = p.first_operand; i < argc && !all && rc != 2; i++)
		if (sync_one(argv[i], (size_t)(i - p.first_operand + 1), (size_t)(argc - p.first_operand), &pr))
			rc = 1;
	cli_parsed_free(&p);
	return rc;
}
