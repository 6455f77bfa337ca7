/* corral schedule add (--at TIME | --in SECONDS | --cron "M H DOM MON DOW")
 *                     (evacuate HOST [--parallel N] | move PARTITION [HOST])
 * corral schedule list | rm ID
 * Relocations and evacuations at a time or on a cron schedule (UTC), run by
 * the fleet manager (fleet/schedule.h). */
#define LOG_PREFIX "schedule: "
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "fleet/cron.h"
#include "fleet/fleet.h"
#include "fleet/schedule.h"
#include "fleet/task.h"
#include "util/cleanup.h"

static int parse_time(const char *text, int64_t *ret)
{
	struct tm tm = {0};
	const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof tm);
		end = strptime(text, "%Y-%m-%dT%H:%MZ", &tm);
	}
	if (!end || *end)
		return -1;
	*ret = (int64_t)timegm(&tm);
	return 0;
}

static void when(int64_t t, char out[32])
{
	time_t at = (time_t)t;
	struct tm tm;
	if (t <= 0 || !gmtime_r(&at, &tm))
		snprintf(out, 32, "-");
	else
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Has the fleet just moved PARTITION (a task of it is done: it runs where
 * that task took it, though its new host may not have published it yet)? */
static bool moved_lately(const struct cr_fleet_conf *c, struct cr_etcd *e, const char *partition)
{
	struct cr_task *t = NULL;
	size_t n = 0;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	bool found = false;
	if (cr_task_list(e, c->fleet, "tasks/", &t, &n, &err) < 0)
		return true; /* cannot tell: not refused for it */
	for (size_t i = 0; i < n && !found; i++)
		found = !strcmp(t[i].partition, partition) && t[i].state == CR_TASK_DONE && t[i].to;
	cr_task_list_free(t, n);
	return found;
}

/* Refuse a schedule that names what the fleet does not have: a host that
 * is not a member, a partition no host runs, a move to where it is. */
static int check_targets(const struct cr_fleet_conf *c, struct cr_etcd *e, const struct cr_schedule *s,
			 struct cr_error *err)
{
	struct cr_fleet_host *h = NULL;
	size_t n = 0;
	int r = cr_fleet_hosts(e, c, &h, &n, err);
	if (r < 0)
		return r;
	const char *host = !strcmp(s->what, "evacuate") ? s->target : s->to;
	const struct cr_fleet_host *where = NULL;
	for (size_t i = 0; !strcmp(s->what, "move") && i < n && !where; i++)
		for (size_t k = 0; k < h[i].n_parts && !where; k++)
			if (!strcmp(h[i].parts[k].name, s->target))
				where = &h[i];
	if (host && !cr_fleet_host_find(h, n, host))
		r = cr_error_set(err, ENOENT, "no host named %s in fleet %s", host, c->fleet);
	else if (!strcmp(s->what, "move") && !where && !moved_lately(c, e, s->target))
		r = cr_error_set(err, ENOENT,
				 "no host of fleet %s runs a partition named %s (hosts publish theirs every few seconds: "
				 "one that has just moved may be listed nowhere for a moment)",
				 c->fleet, s->target);
	else if (where && s->to && !strcmp(where->name, s->to))
		r = cr_error_set(err, EINVAL, "%s runs on %s already", s->target, s->to);
	cr_fleet_hosts_free(h, n);
	return r;
}

static int do_add(const struct cli_verb *v, int argc, char **argv, struct cr_fleet_conf *c, struct cr_etcd *e,
		  struct cr_error *err)
{
	static const struct option opts[] = {
		{"at", required_argument, NULL, 'a'}, {"in", required_argument, NULL, 'i'},
		{"cron", required_argument, NULL, 'c'}, {"parallel", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	struct cr_schedule s = {0};
	int o, whens = 0, r = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		char *end = NULL;
		long n = 0;
		switch (o) {
		case 'a':
			whens++;
			if (parse_time(optarg, &s.at) < 0)
				return cli_usage_error("schedule", v->usage, "--at wants YYYY-MM-DDTHH:MM[:SS]Z (UTC), not '%.40s'",
						       optarg);
			break;
		case 'i':
			whens++;
			n = strtol(optarg, &end, 10);
			if (!*optarg || *end || n < 0 || n > 10 * 365 * 86400L)
				return cli_usage_error("schedule", v->usage, "--in wants seconds, not '%.40s'", optarg);
			s.at = (int64_t)time(NULL) + n;
			break;
		case 'c': {
			struct cr_cron cr;
			whens++;
			if (cr_cron_parse(optarg, &cr, err) < 0)
				return cli_usage_error("schedule", v->usage, "%s", cr_error_msg(err));
			s.cron = optarg;
			break;
		}
		case 'p':
			n = strtol(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > 64)
				return cli_usage_error("schedule", v->usage, "--parallel wants 1 to 64");
			s.parallel = (int)n;
			break;
		default:
			return cli_usage_error("schedule", v->usage, "unknown option");
		}
	}
	if (whens != 1)
		return cli_usage_error("schedule", v->usage, "give one of --at, --in, --cron");
	int left = argc - optind;
	char **rest = argv + optind;
	if (left == 2 && !strcmp(rest[0], "evacuate")) {
		s.what = "evacuate";
		s.target = rest[1];
	} else if ((left == 2 || left == 3) && !strcmp(rest[0], "move")) {
		s.what = "move";
		s.target = rest[1];
		s.to = left == 3 ? rest[2] : NULL;
	} else {
		return cli_usage_error("schedule", v->usage, "what: evacuate HOST, or move PARTITION [HOST]");
	}
	if ((r = check_targets(c, e, &s, err)) < 0)
		return r;
	s.by = c->name;
	cleanup_free char *id = NULL;
	/* The record owns its strings once read back; here they are borrowed. */
	r = cr_schedule_add(e, c, &s, &id, err);
	char next[32];
	when(s.next, next);
	free(s.id);
	if (r < 0)
		return r;
	printf("schedule %s: %s %s%s%s, next %s\n", id, s.what, s.target, s.to ? " to " : "", s.to ? s.to : "", next);
	return 0;
}

static int do_list(struct cr_fleet_conf *c, struct cr_etcd *e, struct cr_error *err)
{
	struct cr_schedule *s = NULL;
	size_t n = 0;
	int r = cr_schedule_list(e, c, &s, &n, err);
	if (r < 0)
		return r;
	printf("%-10s %-9s %-16s %-12s %-16s %-21s %-21s %s\n", "ID", "WHAT", "TARGET", "TO", "WHEN", "NEXT",
	       "LAST RUN", "OUTCOME");
	for (size_t i = 0; i < n; i++) {
		char next[32], last[32], at[32];
		when(s[i].next, next);
		when(s[i].last_run, last);
		when(s[i].at, at);
		printf("%-10s %-9s %-16s %-12s %-16s %-21s %-21s %s\n", s[i].id, s[i].what, s[i].target,
		       s[i].to ? s[i].to : "-", s[i].cron ? s[i].cron : at, next, last,
		       s[i].last_outcome ? s[i].last_outcome : "-");
	}
	cr_schedule_list_free(s, n);
	return 0;
}

int cmd_schedule(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	if (argc < 2)
		return cli_usage_error("schedule", v->usage, "which: add, list or rm?");
	const char *sub = argv[1];
	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "rm"))
		return cli_usage_error("schedule", v->usage, "unknown subcommand '%.40s'", sub);
	if (!strcmp(sub, "list") && argc != 2)
		return cli_usage_error("schedule", v->usage, "corral schedule list takes no argument");
	if (!strcmp(sub, "rm") && argc != 3)
		return cli_usage_error("schedule", v->usage, "corral schedule rm ID");
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	cleanup_etcd struct cr_etcd *e = NULL;
	int r = cr_fleet_connect(&c, &e, err);
	if (r < 0)
		return r;
	if (!strcmp(sub, "list"))
		return do_list(&c, e, err);
	if (!strcmp(sub, "rm"))
		return cr_schedule_remove(e, &c, argv[2], err);
	return do_add(v, argc - 1, argv + 1, &c, e, err);
}
