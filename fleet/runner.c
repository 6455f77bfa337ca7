/* This host's tasks (fleet/runner.h). */
#define LOG_PREFIX "fleet: "
#include "fleet/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fleet/fleet_internal.h"
#include "partition/registry.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/paths.h"

#define OUT_MAX (64 * 1024)

#define say(rn, ...) cr_fleet_say((rn)->say, (rn)->say_ctx, __VA_ARGS__)

/* The move's output goes to a file ($ROOT/var/log/corral/fleet/P.log), not
 * a pipe: a move must outlive an agent that stops (a pipe would give it
 * SIGPIPE on its last words). */
static int output_file(const char *partition, int *ret_w, int *ret_r, struct cr_error *err)
{
	cleanup_free char *dir = NULL, *path = NULL;
	int r = cr_path(&dir, err, "/var/log/corral/fleet");
	if (r == 0)
		r = cr_mkdir_p(dir, 0755, err);
	if (r == 0 && asprintf(&path, "%s/%s.log", dir, partition) < 0)
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	int w = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (w < 0)
		return cr_error_errno(err, "cannot open %s", path);
	int rd = open(path, O_RDONLY | O_CLOEXEC);
	if (rd < 0) {
		close(w);
		return cr_error_errno(err, "cannot open %s", path);
	}
	*ret_w = w;
	*ret_r = rd;
	return 0;
}

static int spawn(struct cr_runner *rn, struct cr_runner_job *j, struct cr_error *err)
{
	int w = -1, rd = -1;
	int r = output_file(j->task.partition, &w, &rd, err);
	if (r < 0)
		return r;
	const char *argv[8];
	int n = 0;
	argv[n++] = "corral";
	if (j->task.mode == CR_PLAN_STOP) {
		argv[n++] = "stopwpar";
		argv[n++] = j->task.partition;
	} else {
		argv[n++] = "movewpar";
		argv[n++] = "-v"; /* the log tells which phase a slow move spent its time in */
		if (j->task.mode == CR_PLAN_STATIC)
			argv[n++] = "--static";
		argv[n++] = j->task.partition;
		argv[n++] = j->task.to;
	}
	argv[n] = NULL;
	/* The log's first line: when, in wall time, so that moves of several
	 * hosts can be laid side by side (each phase line counts from it). */
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	dprintf(w, "started %lld.%03ld: %s %s\n", (long long)wall.tv_sec, wall.tv_nsec / 1000000, argv[1],
		j->task.partition);
	pid_t pid = fork();
	if (pid < 0) {
		close(w);
		close(rd);
		return cr_error_errno(err, "cannot start the move of %s", j->task.partition);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(w, 1) < 0 || dup2(w, 2) < 0)
			_exit(127);
		setpgid(0, 0);
		sigset_t chld; /* the agent blocks it (fleet/agent.c) */
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		execv(rn->corral_exe, (char *const *)argv);
		_exit(127);
	}
	j->log_fd = w;
	j->pid = pid;
	j->out_fd = rd;
	j->started_ns = cr_now_ns();
	say(rn, "fleet: %s %s%s%s (%s)", argv[1], j->task.partition, j->task.to ? " to " : "",
	    j->task.to ? j->task.to : "", j->task.kind);
	return 0;
}

static void drain(struct cr_runner_job *j)
{
	char buf[4096];
	ssize_t n;
	while (j->out_fd >= 0 && (n = read(j->out_fd, buf, sizeof buf)) > 0) {
		if (j->out_len + (size_t)n > OUT_MAX)
			continue;
		char *g = realloc(j->out, j->out_len + (size_t)n + 1);
		if (!g)
			continue;
		memcpy(g + j->out_len, buf, (size_t)n);
		j->out = g;
		j->out_len += (size_t)n;
		g[j->out_len] = '\0';
	}
}

/* The last non-empty line of OUT (for an error), in place. */
static const char *last_line(char *out)
{
	if (!out)
		return "no output";
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	char *nl = strrchr(out, '\n');
	char *line = nl ? nl + 1 : out;
	char *cr = strrchr(line, '\r'); /* after a progress bar */
	return cr ? cr + 1 : line;
}

static void settle(struct cr_runner_job *j)
{
	struct cr_task *t = &j->task;
	bool ok = j->reaped && WIFEXITED(j->status) && WEXITSTATUS(j->status) == 0;
	const char *dt = j->out ? strstr(j->out, "downtime ") : NULL;
	double ms = -1;
	if (dt && sscanf(dt, "downtime %lf ms", &ms) != 1)
		ms = -1;
	t->downtime_ms = ms >= 0 ? (int64_t)ms : -1;
	t->ended = (int64_t)time(NULL);
	free(t->reason);
	if (ok) {
		t->state = CR_TASK_DONE;
		t->reason = strdup(t->mode == CR_PLAN_STOP ? "stopped" : "moved");
	} else {
		t->state = CR_TASK_FAILED;
		t->attempts++;
		char msg[300];
		if (j->reaped && WIFSIGNALED(j->status))
			snprintf(msg, sizeof msg, "killed by signal %d", WTERMSIG(j->status));
		else
			snprintf(msg, sizeof msg, "%s", last_line(j->out));
		t->reason = strdup(msg);
	}
}

/* Is the task as stored (KV) the outcome T records (an earlier try of
 * record() whose answer never came, applied)? */
static bool recorded_already(const struct cr_etcd_kv *kv, const struct cr_task *t)
{
	struct cr_task now = {0};
	cleanup_error struct cr_error bad = CR_ERROR_INIT;
	if (cr_task_from_kv(kv, &now, &bad) < 0)
		return false;
	bool same = now.state == t->state && now.ended == t->ended && now.attempts == t->attempts;
	cr_task_free(&now);
	return same;
}

/* Record a job's outcome in one transaction on the task's revision: the
 * task, its history entry and, for a move of an evacuation, where it came
 * from (put only when absent: the first home, over a chain of moves) or,
 * for a move back, that origin deleted. The revision is the one our
 * RUNNING write got; unknown (-1), or changed (the compare failed, or an
 * earlier try's answer never came), the task is read again: found with
 * this outcome, that try applied; else written over what is there now.
 * 0 when the store took it. */
static int record(struct cr_runner *rn, struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_runner_job *j,
		  struct cr_error *err)
{
	struct cr_task *t = &j->task;
	cleanup_free char *okey = NULL, *oval = NULL, *item = NULL, *tkey = NULL, *tval = NULL;
	cleanup_free char *hkey = NULL, *hitem = NULL, *hval = NULL;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (asprintf(&item, "origins/%s", t->partition) < 0 || asprintf(&oval, "{\"home\":\"%s\"}", t->from) < 0 ||
	    asprintf(&hitem, "history/%020lld-%s", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, t->partition) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_fleet_key(&okey, c->fleet, item, err);
	if (r == 0)
		r = cr_fleet_key(&hkey, c->fleet, hitem, err);
	if (r == 0)
		r = cr_task_key(c->fleet, t->from, t->partition, &tkey, err);
	if (r == 0)
		r = cr_task_to_json(t, &tval, err);
	if (r == 0)
		r = cr_task_to_json(t, &hval, err);
	if (r < 0)
		return r;
	struct cr_etcd_op ops[3] = {{CR_ETCD_OP_PUT, tkey, tval, 0}, {CR_ETCD_OP_PUT, hkey, hval, 0}};
	size_t n_ops = 2;
	if (t->state == CR_TASK_DONE && t->kind && !strcmp(t->kind, "evacuate") && t->mode != CR_PLAN_STOP)
		ops[n_ops++] = (struct cr_etcd_op){CR_ETCD_OP_PUT_ABSENT, okey, oval, 0};
	else if (t->state == CR_TASK_DONE && t->kind && !strcmp(t->kind, "restore"))
		ops[n_ops++] = (struct cr_etcd_op){CR_ETCD_OP_DELETE, okey, NULL, 0};
	/* The task is ours while it runs: the manager does not touch it. */
	for (int tries = 0; tries < 2; tries++) {
		if (t->mod_revision >= 0) {
			struct cr_etcd_cmp same = {tkey, t->mod_revision};
			r = cr_etcd_txn_rev(e, &same, 1, ops, n_ops, &t->mod_revision, err);
			if (r == 1)
				break;
			if (r < 0)
				return r; /* unknown or not sent: read again on the next try */
		}
		cleanup_etcd_kv struct cr_etcd_kv kv = {0};
		if ((r = cr_etcd_get(e, tkey, &kv, err)) < 0)
			return r;
		if (r == 1 && recorded_already(&kv, t)) {
			r = 1;
			break;
		}
		t->mod_revision = r ? kv.mod_revision : 0;
		r = 0;
	}
	if (r != 1)
		return cr_error_set(err, EAGAIN, "the task of %s changed while its outcome was written: tried again "
				    "on the next step", t->partition);
	say(rn, "fleet: %s %s%s%s: %s%s%s", t->mode == CR_PLAN_STOP ? "stop of" : "move of", t->partition,
	    t->to ? " to " : "", t->to ? t->to : "", cr_task_state_name(t->state),
	    t->state == CR_TASK_FAILED ? ": " : "", t->state == CR_TASK_FAILED ? t->reason : "");
	return 0;
}

static void job_free(struct cr_runner_job *j)
{
	if (j->out_fd >= 0)
		close(j->out_fd);
	if (j->log_fd >= 0)
		close(j->log_fd);
	free(j->out);
	cr_task_free(&j->task);
	memset(j, 0, sizeof(*j));
	j->out_fd = j->log_fd = -1;
}

static struct cr_runner_job *job_of(struct cr_runner *rn, const char *partition)
{
	for (size_t i = 0; i < rn->n_jobs; i++)
		if (!strcmp(rn->jobs[i].task.partition, partition))
			return &rn->jobs[i];
	return NULL;
}

/* Reap and time out jobs: whether one has ended (reaped, not yet recorded). */
static bool reap(struct cr_runner *rn)
{
	bool ended = false;
	for (size_t i = 0; i < rn->n_jobs; i++) {
		struct cr_runner_job *j = &rn->jobs[i];
		drain(j);
		if (!j->reaped && waitpid(j->pid, &j->status, WNOHANG) == j->pid) {
			j->reaped = true;
			if (j->log_fd >= 0) {
				/* the log's last line: when the agent saw it end (wall time) */
				struct timespec wall;
				clock_gettime(CLOCK_REALTIME, &wall);
				dprintf(j->log_fd, "ended %lld.%03ld\n", (long long)wall.tv_sec, wall.tv_nsec / 1000000);
				close(j->log_fd);
				j->log_fd = -1;
			}
			drain(j);
			settle(j);
		} else if (!j->reaped && cr_now_ns() - j->started_ns > (int64_t)CR_RUNNER_JOB_TIMEOUT_S * 1000000000LL) {
			kill(-j->pid, SIGKILL); /* reaped and settled on a later step */
		}
		ended = ended || j->reaped;
	}
	return ended;
}

/* Reap, time out and record finished jobs, once the host's partitions as
 * they are now are published. */
static void follow(struct cr_runner *rn, struct cr_etcd *e, const struct cr_fleet_conf *c)
{
	if (!reap(rn))
		return;
	if (rn->publish) {
		cleanup_error struct cr_error err = CR_ERROR_INIT;
		if (rn->publish(rn->publish_ctx, &err) < 0)
			return; /* recorded after a later publish */
	}
	for (size_t i = 0; i < rn->n_jobs;) {
		struct cr_runner_job *j = &rn->jobs[i];
		cleanup_error struct cr_error err = CR_ERROR_INIT;
		if (j->reaped && record(rn, e, c, j, &err) == 0) {
			job_free(j);
			rn->jobs[i] = rn->jobs[--rn->n_jobs];
			memset(&rn->jobs[rn->n_jobs], 0, sizeof(rn->jobs[0]));
			continue; /* recorded; else kept and tried again next step */
		}
		i++;
	}
}

/* A task running with no job here: this agent restarted. */
static int settle_orphan(struct cr_runner *rn, struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_task *t,
			 struct cr_error *err)
{
	struct cr_wpar w = {0};
	cleanup_error struct cr_error ignored = CR_ERROR_INIT;
	bool still_here = cr_registry_load(t->partition, &w, &ignored) == 0;
	bool in_flight = still_here && w.state.owner_pid > 0 && kill(w.state.owner_pid, 0) == 0 &&
			 (w.state.state == CR_STATE_TRANSITIONAL || w.state.state == CR_STATE_FROZEN ||
			  w.state.state == CR_STATE_PAUSED);
	bool stopped = still_here && w.state.state == CR_STATE_DEFINED;
	if (still_here)
		cr_wpar_free(&w);
	if (in_flight)
		return 0; /* the move an earlier agent started goes on: settled when it ends */
	/* a move is done when the partition left; a stop when it is Defined */
	bool done = t->mode == CR_PLAN_STOP ? stopped : !still_here;
	struct cr_runner_job j = {.out_fd = -1, .log_fd = -1, .task = *t, .reaped = true};
	memset(t, 0, sizeof(*t));
	j.status = done ? 0 : (1 << 8);
	j.out = strdup(done ? "downtime -1 ms" : "interrupted: the agent restarted while it ran");
	settle(&j);
	say(rn, "fleet: %s was running when this agent started: %s", j.task.partition, cr_task_state_name(j.task.state));
	int r = record(rn, e, c, &j, err);
	job_free(&j);
	return r;
}

/* Claim T (RUNNING, a compare-and-swap on its revision) and start its
 * move: 1 when claimed (started, or recorded failed when it could not
 * start), 0 when it changed meanwhile (seen again next step). */
static int start(struct cr_runner *rn, struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_task *t,
		 struct cr_error *err)
{
	t->state = CR_TASK_RUNNING;
	t->started = (int64_t)time(NULL);
	int w = cr_task_write(e, c->fleet, t, NULL, 0, err);
	if (w <= 0)
		return w;
	struct cr_runner_job *j = &rn->jobs[rn->n_jobs];
	memset(j, 0, sizeof(*j));
	j->out_fd = j->log_fd = -1;
	j->task = *t;
	memset(t, 0, sizeof(*t));
	if (spawn(rn, j, err) < 0) {
		/* Not started: record it failed so the manager can try again. */
		j->reaped = true;
		j->status = 1 << 8;
		j->out = strdup(cr_error_msg(err));
		settle(j);
		cr_error_clear(err);
	}
	rn->n_jobs++;
	return 1;
}

static bool same_evac(const struct cr_task *x, const struct cr_task *y)
{
	return x->evac && y->evac && x->kind && y->kind && !strcmp(x->evac, y->evac) && !strcmp(x->kind, y->kind);
}

/* How many moves of T's evacuation run from this host: the jobs of this
 * agent not yet ended, and the tasks of the list (T, N) running with no
 * job here (started by an agent before this one, still in flight). */
static int running_of(const struct cr_runner *rn, const struct cr_task *t, const struct cr_task *list, size_t n)
{
	int k = 0;
	for (size_t i = 0; i < rn->n_jobs; i++)
		k += !rn->jobs[i].reaped && same_evac(&rn->jobs[i].task, t);
	for (size_t i = 0; i < n; i++)
		k += list[i].partition && list[i].state == CR_TASK_RUNNING && same_evac(&list[i], t) &&
		     !job_of((struct cr_runner *)rn, list[i].partition);
	return k;
}

/* The task of (T, N) in state NEXT with no job here and the lowest
 * revision (the order the manager let them go in), not DONE_TOO; NULL when
 * none is left. */
static struct cr_task *next_queued(struct cr_runner *rn, struct cr_task *t, size_t n, const bool *done_too)
{
	struct cr_task *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (t[i].partition && t[i].state == CR_TASK_NEXT && !done_too[i] && !job_of(rn, t[i].partition) &&
		    (!best || t[i].mod_revision < best->mod_revision))
			best = &t[i];
	return best;
}

int cr_runner_step(struct cr_runner *rn, struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_error *err)
{
	follow(rn, e, c);
	cleanup_free char *prefix = NULL;
	struct cr_task *t = NULL;
	size_t n = 0;
	if (asprintf(&prefix, "tasks/%s/", c->name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_task_list_local(e, c->fleet, prefix, &t, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (job_of(rn, t[i].partition))
			continue;
		if (t[i].state == CR_TASK_RUNNING) {
			r = settle_orphan(rn, e, c, &t[i], err);
			continue;
		}
		if (t[i].state != CR_TASK_GO || rn->n_jobs >= CR_RUNNER_MAX_JOBS)
			continue;
		r = start(rn, e, c, &t[i], err);
		r = r < 0 ? r : 0;
	}
	/* Then the moves let go ahead, in their order, each while fewer than
	 * its cap of its evacuation's moves run here. */
	cleanup_free bool *tried = calloc(n + 1, sizeof(bool));
	if (r == 0 && !tried)
		r = cr_error_set(err, ENOMEM, "out of memory");
	struct cr_task *q;
	while (r == 0 && rn->n_jobs < CR_RUNNER_MAX_JOBS && (q = next_queued(rn, t, n, tried))) {
		tried[q - t] = true;
		if (running_of(rn, q, t, n) >= (q->cap > 0 ? q->cap : 1))
			continue;
		r = start(rn, e, c, q, err);
		r = r < 0 ? r : 0;
	}
	cr_task_list_free(t, n);
	return r;
}

void cr_runner_stop(struct cr_runner *rn)
{
	/* Moves in flight go on without us: movewpar needs only the
	 * destination's corrald, and its own hand-over never leaves a partition
	 * on two hosts. The next agent settles their tasks. */
	for (size_t i = 0; i < rn->n_jobs; i++)
		job_free(&rn->jobs[i]);
	rn->n_jobs = 0;
}
