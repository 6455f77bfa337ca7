/* The fleet agent: lease, load and partitions published, trust kept. */
#define LOG_PREFIX "fleet: "
#include "fleet/agent.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "fleet/fleet_internal.h"
#include "fleet/load.h"
#include "fleet/manager.h"
#include "fleet/runner.h"
#include "partition/registry.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

struct agent {
	const struct cr_fleet_agent_options *o;
	struct cr_fleet_conf conf;
	bool member;
	struct cr_etcd *store;
	struct cr_etcd_watch *watch; /* wakes the agent when a task or an evacuation changes */
	bool following_all;          /* the watch follows what the manager acts on */
	int child_fd;                /* signalfd: a move this agent started has ended */
	int64_t managed_ns;          /* the last manager step (a turn at least every tick) */
	int64_t full_ns;             /* the last with schedules and policies */
	int64_t lease;
	struct cr_load load;
	struct cr_part_load parts;
	struct cr_runner runner;
	struct cr_manager manager;
	char *last_error; /* logged once until it changes */
	char *listed;     /* the partitions (name:state,...) as last published */
	/* the fleet.conf whose host the store has no record of (it left, or
	 * was removed): not acted on again until the file changes (a join) */
	struct stat removed;
	bool removed_set;
};

#define say(a, ...) cr_fleet_say((a)->o->log, (a)->o->log_ctx, __VA_ARGS__)

static void report(struct agent *a, const struct cr_error *err)
{
	const char *msg = cr_error_msg(err);
	if (a->last_error && !strcmp(a->last_error, msg))
		return;
	say(a, "fleet: %s", msg);
	free(a->last_error);
	a->last_error = strdup(msg);
}

static bool running(const struct cr_wpar *w)
{
	return w->state.state == CR_STATE_ACTIVE || w->state.state == CR_STATE_FROZEN ||
	       w->state.state == CR_STATE_PAUSED;
}

/* The partitions with their load; with the load source "partitions", the
 * host's CPU and memory are theirs (a host shared with other work, or
 * hosts that share one machine, as in the tests), averaged over samples
 * PERIOD_S apart (0: a publish between two samples, which leaves the
 * host's load as it was). */
static json_object *partitions_json(struct agent *a, double period_s)
{
	json_object *arr = json_object_new_array();
	struct cr_wpar *list = NULL;
	size_t n = 0;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	bool theirs = a->conf.load && !strcmp(a->conf.load, "partitions") && period_s > 0;
	double cpu = 0;
	uint64_t mem = 0;
	if (!arr || cr_registry_list(&list, &n, &err) < 0)
		return arr;
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_new_object();
		char st[2] = {(char)list[i].state.state, '\0'};
		json_object_object_add(p, "name", json_object_new_string(list[i].config.name));
		json_object_object_add(p, "state", json_object_new_string(st));
		json_object_object_add(p, "checkpointable", json_object_new_boolean(list[i].config.checkpointable));
		const struct cr_part_sample *s = running(&list[i])
							 ? cr_part_load_sample(&a->parts, list[i].config.name, a->load.cpus)
							 : NULL;
		if (s && s->mem)
			json_object_object_add(p, "mem", json_object_new_int64((int64_t)s->mem));
		if (s)
			json_object_object_add(p, "cpu", json_object_new_double(s->cpu));
		cpu += s ? s->cpu : 0;
		mem += s ? s->mem : 0;
		json_object_array_add(arr, p);
	}
	cr_part_load_sweep(&a->parts);
	cr_wpar_list_free(list, n);
	if (theirs) {
		a->load.cpu_now = cpu;
		a->load.cpu += (cpu - a->load.cpu) * (1.0 - exp(-period_s / CR_LOAD_AVERAGE_S));
		a->load.mem_used = mem;
	}
	return arr;
}

static int alive_json(struct agent *a, double period_s, char **ret, struct cr_error *err)
{
	cleanup_json json_object *o = json_object_new_object();
	if (!o)
		return cr_error_set(err, ENOMEM, "out of memory");
	json_object *parts = partitions_json(a, period_s);
	json_object_object_add(o, "updated", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "cpu", json_object_new_double(a->load.cpu));
	json_object_object_add(o, "cpu_now", json_object_new_double(a->load.cpu_now));
	json_object_object_add(o, "cpus", json_object_new_int(a->load.cpus));
	json_object_object_add(o, "mem_used", json_object_new_int64((int64_t)a->load.mem_used));
	json_object_object_add(o, "mem_total", json_object_new_int64((int64_t)a->load.mem_total));
	json_object_object_add(o, "partitions", parts);
	if (!(*ret = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN))))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* What wakes the agent before its tick: for the manager (the leader), a
 * change of a task (one let go, one that ended elsewhere), of an
 * evacuation or of an origin (a restore's step); for the others, a change
 * of this host's tasks only (their woken step runs this host's tasks,
 * nothing else). Without it (it failed to open) the agent only ticks. */
static void follow_changes(struct agent *a)
{
	static const char *const managed[] = {"tasks/", "evacuations/", "origins/"};
	cleanup_free char *mine = NULL;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	const char *own[] = {NULL};
	if (!a->watch || a->following_all == a->manager.leader)
		return;
	if (asprintf(&mine, "tasks/%s/", a->conf.name) < 0)
		return;
	own[0] = mine;
	int r = a->manager.leader ? cr_etcd_watch_follow(a->watch, managed, 3, &err)
				  : cr_etcd_watch_follow(a->watch, own, 1, &err);
	if (r == 0)
		a->following_all = a->manager.leader;
}

static void open_watch(struct agent *a)
{
	static const char *const followed[] = {"tasks/", "evacuations/", "origins/"};
	cleanup_free char *prefix = NULL;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	a->following_all = true;
	if (cr_fleet_key(&prefix, a->conf.fleet, "", &err) < 0 ||
	    cr_etcd_watch_open(a->store, prefix, followed, sizeof(followed) / sizeof(followed[0]), &a->watch, &err) < 0)
		say(a, "fleet: moves are noticed on the agent's tick only: %s", cr_error_msg(&err));
	else
		cr_etcd_watch_skip_own(a->watch); /* what it wrote, it acts on in that step or the next (again) */
}

/* This host is no longer in its fleet (WHY): it stops acting for it. Moves
 * in flight go on (movewpar needs only the destination's corrald); the
 * lease is revoked, so its liveness and any lead it held go at once. */
static void drop_fleet(struct agent *a, const char *why)
{
	say(a, "fleet: this host is no longer in fleet %s (%s): it acts alone", a->conf.fleet, why);
	cr_runner_stop(&a->runner);
	cr_etcd_watch_close(a->watch);
	a->watch = NULL;
	if (a->lease) {
		cleanup_error struct cr_error e = CR_ERROR_INIT;
		(void)cr_etcd_lease_revoke(a->store, a->lease, &e);
	}
	a->lease = 0;
	a->manager.leader = false;
	cr_etcd_close(a->store);
	a->store = NULL;
	cr_fleet_conf_free(&a->conf);
	memset(&a->conf, 0, sizeof(a->conf));
	a->member = false;
}

/* Is fleet.conf still there (corral fleet leave removes it)? */
static bool conf_present(void)
{
	cleanup_free char *path = NULL;
	return cr_fleet_conf_path(&path, NULL) < 0 || access(path, F_OK) == 0;
}

/* fleet.conf's identity now (false: there is none). */
static bool conf_stat(struct stat *ret)
{
	cleanup_free char *path = NULL;
	return cr_fleet_conf_path(&path, NULL) == 0 && stat(path, ret) == 0;
}

static bool same_file(const struct stat *x, const struct stat *y)
{
	return x->st_dev == y->st_dev && x->st_ino == y->st_ino && x->st_mtim.tv_sec == y->st_mtim.tv_sec &&
	       x->st_mtim.tv_nsec == y->st_mtim.tv_nsec;
}

/* Join the fleet in fleet.conf (or notice there is none, or that this host
 * left it). */
static int find_fleet(struct agent *a, struct cr_error *err)
{
	if (a->member && conf_present())
		return 1;
	if (a->member)
		drop_fleet(a, "its fleet.conf is gone");
	struct stat now;
	if (a->removed_set && conf_stat(&now) && same_file(&now, &a->removed))
		return 0; /* a stale fleet.conf: the store says otherwise */
	int r = cr_fleet_conf_load(&a->conf, err);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = cr_fleet_open_store(&a->conf, &a->store, err);
	if (r < 0) {
		cr_fleet_conf_free(&a->conf);
		return r;
	}
	a->member = true;
	say(a, "fleet: acting for fleet %s as %s (store %s)", a->conf.fleet, a->conf.name, a->conf.store);
	open_watch(a);
	return 1;
}

/* This host's partitions as "name:state," (heap; NULL when unreadable). */
static char *partitions_now(void)
{
	struct cr_wpar *list = NULL;
	size_t n = 0, len = 0;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	if (cr_registry_list(&list, &n, &err) < 0)
		return NULL;
	char *out = NULL;
	FILE *f = open_memstream(&out, &len);
	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "%s:%c,", list[i].config.name, (char)list[i].state.state);
	if (f)
		fclose(f);
	cr_wpar_list_free(list, n);
	return out;
}

/* alive/NAME: load and partitions, under the lease. */
static int put_alive(struct agent *a, double period_s, struct cr_error *err)
{
	cleanup_free char *key = NULL, *value = NULL, *item = NULL;
	int r = 0;
	if (asprintf(&item, "alive/%s", a->conf.name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if ((r = cr_fleet_key(&key, a->conf.fleet, item, err)) < 0 || (r = alive_json(a, period_s, &value, err)) < 0)
		return r;
	char *listed = partitions_now();
	r = cr_etcd_put(a->store, key, value, a->lease, err);
	if (r == 0) {
		free(a->listed);
		a->listed = listed;
	} else {
		free(listed);
	}
	if (r < 0 && strstr(cr_error_msg(err), "lease not found"))
		a->lease = 0; /* expired while the store was away: a new one next time */
	return r;
}

/* Have this host's partitions changed since they were last published? */
static bool changed_here(const struct agent *a)
{
	cleanup_free char *now = partitions_now();
	return now && (!a->listed || strcmp(now, a->listed));
}

/* The runner's publish: the partitions as they are now, between samples. */
static int publish_partitions(void *ctx, struct cr_error *err)
{
	struct agent *a = ctx;
	if (!a->lease)
		return cr_error_set(err, ENOLCK, "no lease: this host is not published");
	if (a->listed && !changed_here(a))
		return 0; /* the store has them as they are */
	return put_alive(a, 0, err);
}

/* Does the store still have this host's record? 0 when not (it left, or
 * was removed): then it acts alone until it joins again. */
static int record_present(struct agent *a, struct cr_error *err)
{
	cleanup_free char *item = NULL, *key = NULL;
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	int r = asprintf(&item, "hosts/%s", a->conf.name) < 0 ? cr_error_set(err, ENOMEM, "out of memory") : 0;
	if (r == 0)
		r = cr_fleet_key(&key, a->conf.fleet, item, err);
	if (r == 0)
		r = cr_etcd_get(a->store, key, &kv, err);
	if (r == 0) {
		a->removed_set = conf_stat(&a->removed);
		drop_fleet(a, "the store has no record of it");
	}
	return r;
}

static int publish(struct agent *a, double period_s, struct cr_error *err)
{
	int r = record_present(a, err);
	if (r <= 0)
		return r;
	r = 0;
	if (cr_load_sample(&a->load, period_s) < 0)
		say(a, "fleet: cannot read this host's load from /proc");
	if (!a->lease && (r = cr_etcd_lease_grant(a->store, CR_FLEET_LEASE_TTL_S, &a->lease, err)) < 0)
		return r;
	if ((r = put_alive(a, period_s, err)) < 0)
		return r;
	int64_t ttl = 0;
	if ((r = cr_etcd_lease_keepalive(a->store, a->lease, &ttl, err)) < 0)
		return r;
	if (ttl == 0)
		a->lease = 0;
	r = cr_fleet_sync_trust(a->store, &a->conf, err);
	if (r > 0)
		say(a, "fleet: trust updated for %d host(s) of fleet %s", r, a->conf.fleet);
	return r < 0 ? r : 0;
}

/* Run this host's tasks and take a turn as the manager: every tick, and at
 * once when a task or an evacuation changed or a move here ended (WOKEN,
 * by the watch), so that a move starts as soon as it is let go. A woken
 * agent that does not lead only looks at its tasks: who leads is a matter
 * for the tick (every read is a round of the store's members: three agents
 * asking at each change of a task cost etcd more CPU than the moves'). */
static int act(struct agent *a, bool woken, struct cr_error *err)
{
	int r = 0;
	if (a->lease)
		r = cr_runner_step(&a->runner, a->store, &a->conf, err);
	int64_t now = cr_now_ns();
	if (r >= 0 && a->lease &&
	    (!woken || a->manager.leader || now - a->managed_ns >= CR_FLEET_AGENT_TICK_MS * 1000000LL)) {
		a->managed_ns = now;
		bool was = a->manager.leader;
		/* schedules and policies at least every tick, however often
		 * changes wake the agent */
		a->manager.woken = woken && now - a->full_ns < CR_FLEET_AGENT_TICK_MS * 1000000LL;
		if (!a->manager.woken)
			a->full_ns = now;
		r = cr_manager_step(&a->manager, a->store, &a->conf, a->lease, err);
		if (a->manager.leader != was)
			say(a, "fleet: %s the fleet manager of %s", a->manager.leader ? "now" : "no longer",
			    a->conf.fleet);
		follow_changes(a);
	}
	return r < 0 ? r : 0;
}

static void relay(void *ctx, const char *line)
{
	struct agent *a = ctx;
	if (a->o->log)
		a->o->log(a->o->log_ctx, line);
}

static void nap(const struct cr_fleet_agent_options *o, int ms)
{
	for (int slept = 0; slept < ms && !*o->stop; slept += 100) {
		struct timespec ts = {0, 100 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* Until the next tick, or sooner: a followed record changed after revision
 * SEEN (read before the tick's step), or a move of this host ended (then
 * true: woken). A store that cannot be watched leaves the plain tick. */
static bool pause_tick(struct agent *a, int64_t seen, int64_t step_start_ns)
{
	int waited = 0;
	if (a->watch && seen > 0) {
		cleanup_error struct cr_error e = CR_ERROR_INIT;
		int r = cr_etcd_watch_wait(a->watch, seen, CR_FLEET_AGENT_TICK_MS, a->child_fd, &e);
		if (r == 2) {
			/* a move here ended: its outcome recorded and the next one
			 * started at once (no pause: nothing else comes with it) */
			struct signalfd_siginfo si;
			while (read(a->child_fd, &si, sizeof si) == sizeof si)
				;
			return true;
		}
		if (r < 0)
			cr_debug("%s", cr_error_msg(&e));
		if (r > 0) {
			/* at least a few ms between steps the store's changes wake
			 * (a burst of writes is read once) */
			int64_t since_ms = (cr_now_ns() - step_start_ns) / 1000000;
			struct timespec ts = {0, since_ms < 20 ? (20 - since_ms) * 1000000L : 0};
			nanosleep(&ts, NULL);
			return true;
		}
		if (r == 0)
			return false;
		waited = (int)((cr_now_ns() - step_start_ns) / 1000000);
	}
	nap(a->o, waited < CR_FLEET_AGENT_TICK_MS ? CR_FLEET_AGENT_TICK_MS - waited : 0);
	return false;
}

/* Moves started by the agent end as SIGCHLD read from a descriptor the
 * watch's wait includes (blocked, so no call of the agent sees EINTR;
 * runner.c unblocks it in the moves it starts). */
static int child_signal_fd(sigset_t *ret_old)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, ret_old) < 0)
		return -1;
	int fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		sigprocmask(SIG_SETMASK, ret_old, NULL);
	return fd;
}

int cr_fleet_agent_run(const struct cr_fleet_agent_options *o, struct cr_error *err)
{
	(void)err;
	struct agent a = {.o = o};
	sigset_t old_mask;
	a.child_fd = child_signal_fd(&old_mask);
	a.runner.corral_exe = o->corral_exe;
	a.runner.say = a.manager.say = relay;
	a.runner.say_ctx = a.manager.say_ctx = &a;
	a.runner.publish = publish_partitions;
	a.runner.publish_ctx = &a;
	int interval = o->interval_ms > 0 ? o->interval_ms : CR_FLEET_AGENT_INTERVAL_MS;
	int64_t published_ns = 0; /* every INTERVAL, however often a change wakes the agent */
	bool woken = false;
	while (!*o->stop) {
		cleanup_error struct cr_error e = CR_ERROR_INIT;
		int64_t step_start = cr_now_ns(), seen = a.store ? cr_etcd_revision(a.store) : 0;
		int r = find_fleet(&a, &e);
		if (r > 0 && (step_start - published_ns >= (int64_t)interval * 1000000 || !a.lease)) {
			r = publish(&a, interval / 1000.0, &e);
			published_ns = step_start;
		} else if (r > 0 && woken && changed_here(&a)) {
			/* a partition arrived (or left) between two intervals: the
			 * manager waits for lists to show it where it is now */
			r = publish_partitions(&a, &e);
			r = r < 0 ? r : 1;
		}
		a.manager.again = false;
		if (r > 0 || r == 0)
			r = a.member ? act(&a, woken, &e) : 0;
		if (r < 0)
			report(&a, &e);
		else if (a.last_error) {
			say(&a, "fleet: the store answers again");
			free(a.last_error);
			a.last_error = NULL;
		}
		/* the manager wrote what a step must act on: at once (the watch
		 * passes over this agent's own writes) */
		woken = a.member && a.manager.again ? true : pause_tick(&a, seen, step_start);
	}
	cr_runner_stop(&a.runner);
	cr_etcd_watch_close(a.watch);
	if (a.child_fd >= 0) {
		close(a.child_fd);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
	}
	if (a.lease) {
		cleanup_error struct cr_error e = CR_ERROR_INIT;
		if (cr_etcd_lease_revoke(a.store, a.lease, &e) < 0)
			report(&a, &e);
	}
	cr_etcd_close(a.store);
	cr_fleet_conf_free(&a.conf);
	cr_part_load_free(&a.parts);
	free(a.last_error);
	free(a.listed);
	return 0;
}

static volatile sig_atomic_t agent_stop;

static void on_term(int sig)
{
	(void)sig;
	agent_stop = 1;
}

int cr_fleet_agent_start(void (*log)(void *log_ctx, const char *line), void *log_ctx, const char *corral_exe,
			 pid_t *ret_pid, struct cr_error *err)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return cr_error_errno(err, "cannot start the fleet agent");
	if (pid > 0) {
		*ret_pid = pid;
		return 0;
	}
	struct sigaction sa = {.sa_handler = on_term};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigset_t unblock;
	sigemptyset(&unblock);
	sigaddset(&unblock, SIGTERM);
	sigaddset(&unblock, SIGINT);
	sigprocmask(SIG_UNBLOCK, &unblock, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(0);
	struct cr_fleet_agent_options o = {
		.stop = &agent_stop, .log = log, .log_ctx = log_ctx, .corral_exe = corral_exe};
	struct cr_error e = CR_ERROR_INIT;
	int r = cr_fleet_agent_run(&o, &e);
	cr_error_clear(&e);
	_exit(r < 0 ? 1 : 0);
}
