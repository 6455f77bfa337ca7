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

int cr_history_add(struct cr_etcd *e, const char *fleet, const struct cr_task *t, struct cr_error *err)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	cleanup_free char *item = NULL, *key = NULL, *json = NULL;
	if (asprintf(&item, "history/%020lld-%s", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, t->partition) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_fleet_key(&key, fleet, item, err);
	if (r == 0)
		r = cr_task_to_json(t, &json, err);
	if (r == 0)
		r = cr_etcd_put(e, key, json, 0, err);
	return r;
}

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
	close(w);
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

/* Record a job's outcome: task, origin, history. 0 when the store took it. */
static int record(struct cr_runner *rn, struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_runner_job *j,
		  struct cr_error *err)
{
	struct cr_task *t = &j->task;
	cleanup_free char *okey = NULL, *oval = NULL, *item = NULL;
	if (asprintf(&item, "origins/%s", t->partition) < 0 || asprintf(&oval, "{\"home\":\"%s\"}", t->from) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_fleet_key(&okey, c->fleet, item, err);
	if (r < 0)
		return r;
	if (t->state == CR_TASK_DONE && t->kind && !strcmp(t->kind, "evacuate") && t->mode != CR_PLAN_STOP) {
		/* Remember where it came from (the first home, over a chain of moves). */
		struct cr_etcd_cmp absent = {okey, 0};
		struct cr_etcd_op put = {CR_ETCD_OP_PUT, okey, oval, 0};
		if ((r = cr_etcd_txn(e, &absent, 1, &put, 1, err)) < 0)
			return r;
	} else if (t->state == CR_TASK_DONE && t->kind && !strcmp(t->kind, "restore")) {
		if ((r = cr_etcd_delete(e, okey, err)) < 0)
			return r;
	}
	/* The task is ours while it runs: the manager does not touch it. */
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	cleanup_free char *tkey = NULL;
	if ((r = cr_task_key(c->fleet, t->from, t->partition, &tkey, err)) < 0 ||
	    (r = cr_etcd_get(e, tkey, &kv, err)) < 0)
		return r;
	t->mod_revision = r ? kv.mod_revision : 0;
	if ((r = cr_task_write(e, c->fleet, t, NULL, 0, err)) < 0)
		return r;
	if ((r = cr_history_add(e, c->fleet, t, err)) < 0)
		return r;
	say(rn, "fleet: %s %s%s%s: %s%s%s", t->mode == CR_PLAN_STOP ? "stop of" : "move of", t->partition,
	    t->to ? " to " : "", t->to ? t->to : "", cr_task_state_name(t->state),
	    t->state == CR_TASK_FAILED ? ": " : "", t->state == CR_TASK_FAILED ? t->reason : "");
	return 0;
}

static void job_free(struct cr_runner_job *j)
{
	if (j->out_fd >= 0)
		close(j->out_fd);
	free(j->out);
	cr_task_free(&j->task);
	memset(j, 0, sizeof(*j));
	j->out_fd = -1;
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
	struct cr_runner_job j = {.out_fd = -1, .task = *t, .reaped = true};
	memset(t, 0, sizeof(*t));
	j.status = done ? 0 : (1 << 8);
	j.out = strdup(done ? "downtime -1 ms" : "interrupted: the agent restarted while it ran");
	settle(&j);
	say(rn, "fleet: %s was running when this agent started: %s", j.task.partition, cr_task_state_name(j.task.state));
	int r = record(rn, e, c, &j, err);
	job_free(&j);
	return r;
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
		t[i].state = CR_TASK_RUNNING;
		t[i].started = (int64_t)time(NULL);
		int w = cr_task_write(e, c->fleet, &t[i], NULL, 0, err);
		if (w <= 0) {
			r = w;
			continue; /* changed meanwhile: seen again next step */
		}
		struct cr_runner_job *j = &rn->jobs[rn->n_jobs];
		memset(j, 0, sizeof(*j));
		j->out_fd = -1;
		j->task = t[i];
		memset(&t[i], 0, sizeof(t[i]));
		if ((r = spawn(rn, j, err)) < 0) {
			/* Not started: record it failed so the manager can try again. */
			j->reaped = true;
			j->status = 1 << 8;
			j->out = strdup(cr_error_msg(err));
			settle(j);
		}
		rn->n_jobs++;
		r = 0;
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
