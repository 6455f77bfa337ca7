/* corral history [--json] [-n N]: the fleet's moves (evacuations, restores,
 * and what else the fleet asked), newest last: when, who asked, what moved
 * where, the result and the downtime. */
#define LOG_PREFIX "history: "
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "fleet/fleet.h"
#include "fleet/task.h"
#include "util/cleanup.h"

int cmd_history(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
	bool json = false;
	int c, last = 50;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'n') {
			char *end = NULL;
			long n = strtol(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > 100000)
				return cli_usage_error("history", v->usage, "-n wants 1 to 100000, not '%.20s'", optarg);
			last = (int)n;
		} else {
			return cli_usage_error("history", v->usage, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("history", v->usage, "unexpected argument '%s'", argv[optind]);
	cleanup_fleet_conf struct cr_fleet_conf conf = {0};
	cleanup_etcd struct cr_etcd *e = NULL;
	struct cr_task *t = NULL;
	size_t n = 0;
	int r = cr_fleet_connect(&conf, &e, err);
	if (r == 0)
		r = cr_task_list(e, conf.fleet, "history/", &t, &n, err);
	if (r < 0)
		return r;
	size_t from = n > (size_t)last ? n - (size_t)last : 0;
	if (json)
		printf("[");
	else
		printf("%-20s %-8s %-10s %-16s %-12s %-12s %-7s %-7s %s\n", "WHEN", "KIND", "BY", "PARTITION", "FROM",
		       "TO", "MODE", "RESULT", "DOWNTIME / REASON");
	for (size_t i = from; i < n; i++) {
		if (json) {
			cleanup_free char *j = NULL;
			if (cr_task_to_json(&t[i], &j, err) == 0)
				printf("%s\n%s", i > from ? "," : "", j);
			continue;
		}
		char when[32] = "-", dt[32] = "";
		time_t at = (time_t)t[i].ended;
		struct tm tm;
		if (at && gmtime_r(&at, &tm))
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (t[i].state == CR_TASK_DONE && t[i].downtime_ms >= 0)
			snprintf(dt, sizeof dt, "%lld ms", (long long)t[i].downtime_ms);
		printf("%-20s %-8s %-10s %-16s %-12s %-12s %-7s %-7s %s\n", when, t[i].kind ? t[i].kind : "-",
		       t[i].by ? t[i].by : "-", t[i].partition, t[i].from, t[i].to ? t[i].to : "-",
		       cr_plan_mode_name(t[i].mode), cr_task_state_name(t[i].state),
		       dt[0] ? dt : (t[i].reason ? t[i].reason : ""));
	}
	if (json)
		printf("\n]\n");
	cr_task_list_free(t, n);
	return 0;
}
