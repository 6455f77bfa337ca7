/* corral autostart: at boot, start every system partition made or changed
 * with -A (general: auto = yes), clearing first those left Broken by a crash
 * of the host; with -s, at shutdown, stop them again. Run by
 * systemd/corral-autostart.service. */
#define LOG_PREFIX "autostart: "
#include <stdio.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"

static int start_auto(const struct cr_wpar *w)
{
	const char *name = w->config.name;
	struct cr_error err = CR_ERROR_INIT;
	if (w->state.state == CR_STATE_ACTIVE) {
		printf("autostart: %s is already Active.\n", name);
		return 0;
	}
	if (w->state.state == CR_STATE_BROKEN) {
		/* After a crash of the host every partition that was running is
		 * recorded so, its monitor gone: clear it as stopwpar -F does. */
		struct cr_stop_options force = {.force = true, .timeout_s = 0};
		printf("autostart: %s was Broken (%s): clearing it.\n", name,
		       w->state.broken_reason ? w->state.broken_reason : "no reason recorded");
		if (cr_partition_stop(name, &force, &err) < 0) {
			cr_error_wrap(&err, "%s", name);
			cli_report("autostart", &err);
			cr_error_clear(&err);
			return 1;
		}
	}
	printf("Starting workload partition %s.\n", name);
	fflush(stdout);
	if (cr_partition_start(name, "/proc/self/exe", &err) < 0) {
		cr_error_wrap(&err, "%s", name);
		cli_report("autostart", &err);
		cr_error_clear(&err);
		return 1;
	}
	printf("Workload partition %s is active.\n", name);
	return 0;
}

static int stop_auto(const struct cr_wpar *w, int timeout_s)
{
	const char *name = w->config.name;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_stop_options opts = {.force = false, .timeout_s = timeout_s};
	if (w->state.state == CR_STATE_DEFINED)
		return 0;
	printf("Stopping workload partition %s.\n", name);
	fflush(stdout);
	if (cr_partition_stop(name, &opts, &err) < 0) {
		cr_error_wrap(&err, "%s", name);
		cli_report("autostart", &err);
		cr_error_clear(&err);
		return 1;
	}
	printf("Workload partition %s stopped.\n", name);
	return 0;
}

int cmd_autostart(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	const char *usage = v->usage;
	struct cli_parsed p;
	int rc = cli_parse_options("autostart", usage, "st:", argc, argv, &p);
	if (rc)
		return rc;
	bool stop = cli_option_count(&p, 's') > 0;
	const char *t = cli_option_arg(&p, 't');
	long timeout = 60;
	if (p.first_operand < argc)
		rc = cli_usage_error("autostart", usage, "unexpected argument '%s'", argv[p.first_operand]);
	else if (t && cli_parse_long(t, 0, 86400, &timeout) < 0)
		rc = cli_usage_error("autostart", usage, "invalid timeout '%s': give seconds from 0 to 86400", t);
	cli_parsed_free(&p);
	if (rc)
		return rc;
	struct cr_wpar *list = NULL;
	size_t n = 0;
	if (cr_registry_list(&list, &n, err) < 0)
		return cli_failed(err);
	for (size_t i = 0; i < n; i++) {
		const struct cr_wpar *w = &list[i];
		if (!w->config.autostart || w->config.type != CR_TYPE_SYSTEM)
			continue;
		if (stop ? stop_auto(w, (int)timeout) : start_auto(w))
			rc = 1;
	}
	cr_wpar_list_free(list, n);
	return rc;
}
