/* corral evacuate HOST [--dry-run] [--parallel N] [--to HOST,...] [--timeout S]
 * corral evacuate --cancel HOST [--timeout S]
 * corral restore HOST [--parallel N] [--timeout S]
 * corral restore HOST --skip
 * corral restore --cancel HOST [--timeout S]
 * corral history [--json] [-n N]
 * Emptying a host of a fleet before its maintenance, bringing its
 * partitions back after, and what every fleet move did. The fleet manager
 * carries the moves out (fleet/manager.h); these verbs ask and follow. */
#define LOG_PREFIX "evacuate: "
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "fleet/evacuation.h"
#include "fleet/fleet.h"
#include "fleet/task.h"
#include "util/cleanup.h"

#define DEFAULT_TIMEOUT_S 3600

struct args {
	const char *host;
	bool dry_run;
	int parallel; /* 0: from the hosts' CPUs */
	char **to;
	size_t n_to;
	int timeout_s;
	bool cancel;
	bool skip;
};

static void args_free(struct args *a)
{
	for (size_t i = 0; i < a->n_to; i++)
		free(a->to[i]);
	free(a->to);
}

static int parse_int(const char *s, int lo, int hi, int *ret)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*ret = (int)v;
	return 0;
}

static int split_to(struct args *a, const char *list)
{
	cleanup_free char *copy = strdup(list);
	char *save = NULL;
	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char **g = realloc(a->to, (a->n_to + 1) * sizeof(*g));
		if (!g || !(g[a->n_to] = strdup(t)))
			return -ENOMEM;
		a->to = g;
		a->n_to++;
	}
	return 0;
}

static int parse(const struct cli_verb *v, int argc, char **argv, bool evacuate, struct args *a)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'd'}, {"parallel", required_argument, NULL, 'p'},
		{"to", required_argument, NULL, 't'}, {"timeout", required_argument, NULL, 'T'},
		{"cancel", no_argument, NULL, 'c'}, {"skip", no_argument, NULL, 's'}, {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	a->timeout_s = DEFAULT_TIMEOUT_S;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p' && parse_int(optarg, 1, 64, &a->parallel) == 0)
			continue;
		if (c == 'T' && parse_int(optarg, 1, 86400, &a->timeout_s) == 0)
			continue;
		if (!evacuate && c == 's') {
			a->skip = true;
			continue;
		}
		if (c == 'c') {
			a->cancel = true;
			continue;
		}
		if (evacuate && c == 'd') {
			a->dry_run = true;
			continue;
		}
		if (evacuate && c == 't') {
			if (split_to(a, optarg) < 0)
				return cli_usage_error(v->name, v->usage, "out of memory");
			continue;
		}
		if (c == 'p')
			return cli_usage_error(v->name, v->usage, "--parallel wants 1 to 64, not '%.20s'", optarg);
		if (c == 'T')
			return cli_usage_error(v->name, v->usage, "--timeout wants 1 to 86400 seconds, not '%.20s'", optarg);
		return cli_usage_error(v->name, v->usage, "unknown option");
	}
	if (optind != argc - 1)
		return cli_usage_error(v->name, v->usage, "give one host");
	if (a->cancel && (a->dry_run || a->parallel || a->n_to))
		return cli_usage_error(v->name, v->usage, "--cancel takes a host and --timeout only");
	if (a->skip && a->cancel)
		return cli_usage_error(v->name, v->usage, "--skip or --cancel, not both");
	if (a->skip && a->parallel)
		return cli_usage_error(v->name, v->usage, "--skip moves nothing: no --parallel");
	a->host = argv[optind];
	return 0;
}

/* Default parallelism: half the CPUs of the hosts, at least 1, at most 4. */
static int default_parallel(struct cr_etcd *e, const struct cr_fleet_conf *c)
{
	struct cr_fleet_host *h = NULL;
	size_t n = 0;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	int cpus = 2;
	if (cr_fleet_hosts(e, c, &h, &n, &err) == 0) {
		cpus = 0;
		for (size_t i = 0; i < n; i++)
			cpus = h[i].online && (cpus == 0 || h[i].cpus < cpus) ? h[i].cpus : cpus;
		cr_fleet_hosts_free(h, n);
	}
	int p = cpus / 2;
	return p < 1 ? 1 : (p > 4 ? 4 : p);
}

static void print_plan(const struct cr_evac_plan *p)
{
	printf("%-16s %-7s %-16s %s\n", "PARTITION", "MODE", "TO", "WHY");
	for (size_t k = 0; k < p->src->n_parts; k++) {
		const struct cr_plan_choice *ch = &p->choices[k];
		printf("%-16s %-7s %-16s %s\n", p->src->parts[k].name, cr_plan_mode_name(ch->mode),
		       ch->to ? ch->to : "-", ch->reason);
	}
	if (!p->src->n_parts)
		printf("(no partition on %s)\n", p->src->name);
}

/* The tasks of the evacuation (or restore) of HOST. */
static int tasks_of(struct cr_etcd *e, const struct cr_fleet_conf *c, const char *host, struct cr_task **ret,
		    size_t *ret_n, struct cr_error *err)
{
	struct cr_task *t = NULL;
	size_t n = 0, k = 0;
	int r = cr_task_list(e, c->fleet, "tasks/", &t, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (t[i].evac && !strcmp(t[i].evac, host)) {
			struct cr_task keep = t[i];
			t[i] = t[k];
			t[k++] = keep;
		}
	}
	for (size_t i = k; i < n; i++)
		cr_task_free(&t[i]);
	*ret = t;
	*ret_n = k;
	return 0;
}

static void print_table(const struct cr_task *t, size_t n)
{
	printf("%-16s %-12s %-12s %-7s %-9s %s\n", "PARTITION", "FROM", "TO", "MODE", "RESULT", "DOWNTIME / REASON");
	for (size_t i = 0; i < n; i++) {
		char dt[48] = "";
		if (t[i].state == CR_TASK_DONE && t[i].downtime_ms >= 0)
			snprintf(dt, sizeof dt, "%lld ms", (long long)t[i].downtime_ms);
		printf("%-16s %-12s %-12s %-7s %-9s %s\n", t[i].partition, t[i].from, t[i].to ? t[i].to : "-",
		       cr_plan_mode_name(t[i].mode), cr_task_state_name(t[i].state),
		       dt[0] ? dt : (t[i].reason ? t[i].reason : ""));
	}
}

/* What an ended evacuation or restore V (its tasks T) says: done 0;
 * cancelled 0 for the command that cancelled it, an error for the one that
 * asked for it; incomplete an error. */
/* Does HOST have a state record (evacuating, partly-evacuated...)? */
static bool has_state(struct cr_etcd *e, const char *fleet, const char *host)
{
	cleanup_free char *key = NULL;
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	cleanup_error struct cr_error ignored = CR_ERROR_INIT;
	return cr_host_state_key(fleet, host, &key, &ignored) == 0 && cr_etcd_get(e, key, &kv, &ignored) == 1;
}

static int ended_result(struct cr_etcd *e, const char *fleet, const struct cr_evac *v, const struct cr_task *t,
			size_t n, const struct args *a, const char *what, struct cr_error *err)
{
	if (!strcmp(v->status, "done"))
		return 0;
	if (strcmp(v->status, "cancelled"))
		return cr_error_set(err, EIO, "%s of %s is incomplete: see the table", what, a->host);
	size_t left = 0;
	for (size_t i = 0; i < n; i++)
		left += t[i].state == CR_TASK_DONE && (t[i].mode == CR_PLAN_LIVE || t[i].mode == CR_PLAN_STATIC);
	if (!strcmp(v->kind, "restore") && has_state(e, fleet, a->host))
		printf("%zu partition%s came back to %s; what is still away stays there (%s is partly-evacuated "
		       "until `corral restore %s` brings it back or `corral restore %s --skip`)\n", left,
		       left == 1 ? "" : "s", a->host, a->host, a->host, a->host);
	else if (!strcmp(v->kind, "restore"))
		printf("%zu partition%s came back to %s, nothing is away: it is online\n", left, left == 1 ? "" : "s",
		       a->host);
	else if (left)
		printf("%zu partition%s left %s, which is partly-evacuated: `corral restore %s` brings %s back, "
		       "`corral evacuate %s` goes on\n", left, left > 1 ? "s" : "", a->host, a->host,
		       left > 1 ? "them" : "it", a->host);
	else
		printf("nothing left %s: it takes placements again\n", a->host);
	if (a->cancel)
		return 0;
	return cr_error_set(err, ECANCELED, "the %s of %s was cancelled by %s", what, a->host,
			    v->cancel_by ? v->cancel_by : "someone");
}

/* Follow HOST's evacuation or restore until it ends (or TIMEOUT_S): each
 * task's changes as they come, then the table. 0 when done. */
static int follow(struct cr_etcd *e, const struct cr_fleet_conf *c, const struct args *a, const char *what,
		  struct cr_error *err)
{
	time_t until = time(NULL) + a->timeout_s, quiet_since = time(NULL);
	char **seen = NULL;
	size_t n_seen = 0;
	int r = 0;
	bool warned = false;
	/* woken by a change of a task or of the evacuation; polled without it */
	static const char *const followed[] = {"tasks/", "evacuations/"};
	cleanup_free char *prefix = NULL;
	struct cr_etcd_watch *w = NULL;
	cleanup_error struct cr_error werr = CR_ERROR_INIT;
	if (cr_fleet_key(&prefix, c->fleet, "", &werr) == 0)
		cr_etcd_watch_open(e, prefix, followed, sizeof(followed) / sizeof(followed[0]), &w, &werr);
	for (;;) {
		int64_t read_at = cr_etcd_revision(e);
		struct cr_evac v = {0};
		struct cr_task *t = NULL;
		size_t n = 0;
		/* The record only when no task is left to run: it ends only then
		 * (every partition there with a final task), so a wake while moves
		 * run costs the store one read, not two. */
		bool moving = false;
		r = tasks_of(e, c, a->host, &t, &n, err);
		for (size_t i = 0; r == 0 && i < n; i++)
			moving = moving || !cr_task_final(&t[i]);
		if (r == 0 && moving && !(v.status = strdup("running")))
			r = cr_error_set(err, ENOMEM, "out of memory");
		if (r == 0 && !moving) {
			r = cr_evac_get(e, c->fleet, a->host, &v, err);
			if (r == 0)
				r = cr_error_set(err, ENOENT, "the %s record of %s is gone", what, a->host);
		}
		if (r < 0) {
			cr_task_list_free(t, n);
			cr_evac_free(&v);
			break;
		}
		for (size_t i = 0; i < n; i++) {
			char line[512];
			snprintf(line, sizeof line, "%s: %s%s%s %s", t[i].partition, cr_task_state_name(t[i].state),
				 t[i].to ? " to " : "", t[i].to ? t[i].to : "",
				 t[i].state == CR_TASK_DONE && t[i].downtime_ms >= 0 ? "" : (t[i].reason ? t[i].reason : ""));
			bool known = false;
			for (size_t k = 0; k < n_seen && !known; k++)
				known = !strcmp(seen[k], line);
			if (known)
				continue;
			if (t[i].state == CR_TASK_DONE && t[i].downtime_ms >= 0)
				printf("%s: done, downtime %lld ms\n", t[i].partition, (long long)t[i].downtime_ms);
			else
				printf("%s\n", line);
			fflush(stdout);
			char **g = realloc(seen, (n_seen + 1) * sizeof(*g));
			if (g && (g[n_seen] = strdup(line))) {
				seen = g;
				n_seen++;
			} else if (g) {
				seen = g;
			}
			quiet_since = time(NULL);
		}
		bool ended = strcmp(v.status, "running") != 0;
		if (ended) {
			printf("\n");
			print_table(t, n);
			printf("\n%s of %s: %s\n", what, a->host, v.status);
			r = ended_result(e, c->fleet, &v, t, n, a, what, err);
		}
		cr_task_list_free(t, n);
		cr_evac_free(&v);
		if (ended)
			break;
		if (!warned && time(NULL) - quiet_since > 15) {
			fprintf(stderr, "%s: nothing moved for 15 s: is a corrald of the fleet running (its fleet "
					"manager carries the moves out)?\n", what);
			warned = true;
		}
		if (time(NULL) >= until) {
			r = cr_error_set(err, ETIMEDOUT, "%s of %s still running after %d s (it goes on; "
					 "follow it with corral hosts)", what, a->host, a->timeout_s);
			break;
		}
		if (!w || cr_etcd_watch_wait(w, read_at, 500, -1, &werr) < 0)
			usleep(500 * 1000);
		else
			usleep(20 * 1000); /* a burst of changes (a move's end, the next one's start) read once */
	}
	cr_etcd_watch_close(w);
	for (size_t k = 0; k < n_seen; k++)
		free(seen[k]);
	free(seen);
	return r;
}

/* corral evacuate|restore --cancel HOST: no move of it starts any more;
 * follow the moves in flight to their end. */
static int cancel(struct args *a, bool evacuate, struct cr_error *err)
{
	const char *what = evacuate ? "evacuation" : "restore";
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	cleanup_etcd struct cr_etcd *e = NULL;
	size_t running = 0;
	int r = cr_fleet_connect(&c, &e, err);
	if (r == 0)
		r = cr_evac_cancel(e, &c, a->host, evacuate ? "evacuate" : "restore", NULL, &running, err);
	if (r < 0)
		return r;
	if (running)
		printf("Cancelling the %s of %s: no move starts any more; %zu in flight finish%s\n", what, a->host,
		       running, running > 1 ? "" : "es");
	else
		printf("Cancelling the %s of %s: no move starts any more, none is in flight\n", what, a->host);
	fflush(stdout);
	return follow(e, &c, a, what, err);
}

int cmd_evacuate(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	struct args a = {0};
	int rc = parse(v, argc, argv, true, &a);
	if (rc) {
		args_free(&a);
		return rc;
	}
	if (a.cancel) {
		rc = cancel(&a, true, err);
		args_free(&a);
		return rc;
	}
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	cleanup_etcd struct cr_etcd *e = NULL;
	struct cr_evac_plan plan = {0};
	int r = cr_fleet_connect(&c, &e, err);
	if (r == 0)
		r = cr_evac_plan_make(e, &c, a.host, a.to, a.n_to, &plan, err);
	if (r == 0) {
		print_plan(&plan);
		cr_evac_plan_free(&plan);
		if (a.dry_run) {
			args_free(&a);
			return 0;
		}
		if (!a.parallel)
			a.parallel = default_parallel(e, &c);
		r = cr_evac_request(e, &c, a.host, a.parallel, a.to, a.n_to, NULL, err);
		if (r == 0)
			printf("\nEvacuating %s, at most %d move%s at a time\n", a.host, a.parallel,
			       a.parallel > 1 ? "s" : "");
		fflush(stdout);
	}
	if (r == 0)
		r = follow(e, &c, &a, "evacuation", err);
	args_free(&a);
	return r;
}

int cmd_restore(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	struct args a = {0};
	int rc = parse(v, argc, argv, false, &a);
	if (rc) {
		args_free(&a);
		return rc;
	}
	if (a.cancel) {
		rc = cancel(&a, false, err);
		args_free(&a);
		return rc;
	}
	cleanup_fleet_conf struct cr_fleet_conf c = {0};
	cleanup_etcd struct cr_etcd *e = NULL;
	int r = cr_fleet_connect(&c, &e, err);
	if (r == 0 && a.skip) {
		size_t away = 0;
		if ((r = cr_evac_reopen(e, &c, a.host, &away, err)) == 0)
			printf("%s takes placements again; %zu partition%s evacuated from it stay%s where %s run%s "
			       "(corral restore %s brings %s back)\n", a.host, away, away == 1 ? "" : "s",
			       away == 1 ? "s" : "", away == 1 ? "it" : "they", away == 1 ? "s" : "", a.host,
			       away == 1 ? "it" : "them");
		args_free(&a);
		return r;
	}
	if (r == 0) {
		if (!a.parallel)
			a.parallel = default_parallel(e, &c);
		r = cr_evac_request_restore(e, &c, a.host, a.parallel, err);
	}
	if (r == 0) {
		printf("Bringing back to %s what left it, at most %d move%s at a time\n", a.host, a.parallel,
		       a.parallel > 1 ? "s" : "");
		fflush(stdout);
		r = follow(e, &c, &a, "restore", err);
	}
	args_free(&a);
	return r;
}
