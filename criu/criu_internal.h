/* Internals shared by the CRIU engine files in criu/:
 * the timed worker, the libcriu session setup, how criu is started here, and
 * the CRIU log reader. */
#ifndef CORRAL_CRIU_CRIU_INTERNAL_H
#define CORRAL_CRIU_CRIU_INTERNAL_H

#include <stdint.h>

#include "criu/answer_internal.h"
#include "criu/criu.h"

/* How to start criu for a call given GIVEN (decided in the caller, before
 * forking): a copy of GIVEN, else $CORRAL_CRIU_FAULT's override
 * (cr_criu_service_forced); -EINVAL when there is neither. */
int cr_criu_service_get(const struct cr_criu_service *given, struct cr_criu_service *ret,
			struct cr_error *err);

/* Where /run is not a tmpfs, make CRIU's kernel-probe cache (/run/criu.kdat)
 * that CRIU makes only on a tmpfs, once per boot (criu/kdat.c). Best
 * effort; called before criu starts. */
void cr_criu_kdat_ensure(const struct cr_criu_service *svc);

/* In a process about to run criu: CRIU_FAULT as S says. */
void cr_criu_service_setenv(const struct cr_criu_service *s);

struct cr_criu_job;
struct criu_opts;

/* Runs in the worker: returns a value >= 0 or a negative code with ERR set. */
typedef int (*cr_criu_job_fn)(const struct cr_criu_job *job, const struct cr_criu_service *svc,
			      struct cr_error *err);

struct cr_criu_job {
	const char *what;                    /* "criu dump of pid 42", for messages */
	const struct cr_criu_service *service; /* queries: how to run criu (see cr_criu_service_get) */
	const struct cr_criu_common *common; /* its log, timeout and service; NULL for queries */
	const char *default_log;             /* log name when common->log_file is NULL */
	int default_timeout_ms;              /* when common is NULL or has no timeout */
	cr_criu_job_fn fn;
	const void *arg;
};

/* Run JOB->fn in a worker process with a deadline (see criu/criu.h). A stale
 * CRIU log of the same name is removed first, and CRIU's log tail goes into
 * errors. On success *RET_VALUE is what fn returned. */
int cr_criu_run_job(const struct cr_criu_job *job, int *ret_value, struct cr_error *err);

/* A job's worker, from its start to its answer. With GO_BOUND_MS > 0 (set
 * by the caller before the start) it is started ahead of its request: the
 * job's fn calls cr_criu_swrk_ahead right before its libcriu call, which
 * starts criu swrk and waits for the go (cr_criu_run_go) at most
 * GO_BOUND_MS, or until the caller's end of the go pipe closes (the caller
 * died or cancelled); then the worker and its swrk end. */
struct cr_criu_run {
	int go_bound_ms;
	pid_t worker;
	int res_fd, out_fd, go_fd;
	int timeout_ms; /* of the job, counted from cr_criu_run_wait */
	char *log_path;
	struct cr_criu_service svc;
	struct cr_criu_answer io;
};

/* cr_criu_run_job in steps: start the worker (a stale log removed first);
 * ready: wait at most TIMEOUT_MS until the swrk started ahead waits for its
 * request (its pid, and its start in ms since boot); go; wait for the answer
 * within the job's timeout (frees RUN); or cancel: kill the worker's group
 * and free RUN. */
int cr_criu_run_start(const struct cr_criu_job *job, struct cr_criu_run *run, struct cr_error *err);
int cr_criu_run_ready(struct cr_criu_run *run, int timeout_ms, pid_t *ret_swrk, int64_t *ret_start_ms);
/* The go carries LATE: what the call learnt after the start (a restore's
 * CR_CRIU_LATE_* bits; 0 for a dump). */
int cr_criu_run_go(struct cr_criu_run *run, uint8_t late);
int cr_criu_run_wait(const struct cr_criu_job *job, struct cr_criu_run *run, int *ret_value,
		     struct cr_error *err);
void cr_criu_run_cancel(struct cr_criu_run *run);

/* A call whose worker and swrk were started ahead (criu.h). */
struct cr_criu_ahead {
	struct cr_criu_job job;
	char *what;
	struct cr_criu_run run;
	pid_t swrk; /* once ready */
	const void *opts; /* the caller's, until the go */
};

/* ahead.c: start JOB (copied, with its what) ahead, bounded by BOUND_MS;
 * OPTS is the caller's, kept for the go. */
int cr_criu_ahead_new(const struct cr_criu_job *job, const void *opts, int bound_ms, struct cr_criu_ahead **ret,
		      struct cr_error *err);
/* Send the go with LATE and wait for the answer (frees A's run). */
int cr_criu_ahead_finish(struct cr_criu_ahead *a, uint8_t late, int *ret_value, struct cr_error *err);
/* A restore's late bits. */
#define CR_CRIU_LATE_STREAM 0x1
#define CR_CRIU_LATE_POST_RESTORE 0x2
void cr_criu_ahead_free(struct cr_criu_ahead *a);

/* In the worker: tell the caller the pid of the tree being restored, so a
 * restore that times out is killed with it. */
void cr_criu_worker_report_root(pid_t pid);
/* In the worker: a swrk started ahead (PID, started START_MS after boot)
 * waits for its request. */
void cr_criu_worker_report_swrk(pid_t pid, int64_t start_ms);
/* In the worker: the go's descriptor and bound of a worker started ahead,
 * -1 for one started with its request. */
int cr_criu_worker_go_fd(int *ret_bound_ms);

/* swrk.c, in the worker right before its libcriu call on OPTS: when the
 * worker was started ahead, start `criu swrk` on a socket pair (so it
 * resolves the worker's directory descriptors as /proc/<worker>/fd/N),
 * report it once it waits for its request, and wait for the go; OPTS then
 * talks to it, C's directories opened after the go: 1, with what the go
 * carried in *RET_LATE. 0 when started
 * with the request (libcriu starts swrk itself). An error when the go did
 * not come (swrk is then killed). */
int cr_criu_swrk_ahead(struct criu_opts *opts, const struct cr_criu_common *c, const struct cr_criu_service *svc,
		       const char *what, uint8_t *ret_late, struct cr_error *err);
/* cr_criu_swrk_ahead also boosts the worker for the window (util/prio.h),
 * and its swrk: the one started ahead after the go, or the one libcriu
 * starts (inherited). cr_criu_window_done gives the worker and a swrk started
 * ahead their nice values back: a lazy dump's once its images are complete
 * (its swrk then serves the background push). */
void cr_criu_window_done(void);
/* After the libcriu call: reap the swrk started ahead (libcriu waits only
 * for one it started). */
void cr_criu_swrk_reap(void);

/* Copy the CRIU log at LOG_PATH to $ROOT/var/log/corral/LABEL.<log name>,
 * replacing an older copy. The copy's path, or NULL when it was not kept. */
char *cr_criu_log_keep(const char *log_path, const char *label);

/* With ERRORS, the last "Error" lines of a CRIU log (or its last line when it
 * has none), joined by " | "; without, its last line (where a hung criu
 * stopped). A heap string; NULL when the log cannot be read or is empty. */
char *cr_criu_log_tail(const char *path, bool errors);

/* "DIR/NAME" of the CRIU log that options C give, NAME defaulting to
 * DEFAULT_NAME; -EINVAL when the name has a '/' (CRIU refuses those). */
int cr_criu_log_path(const struct cr_criu_common *c, const char *default_name, char **ret_path,
		     struct cr_error *err);


/* In the worker: libcriu options with the service binary, the images and
 * work directories, the log and every common option of C set. */
int cr_criu_session_open(const struct cr_criu_common *c, const struct cr_criu_service *svc,
			 const char *default_log, struct criu_opts **ret_opts, struct cr_error *err);

/* In the worker: the images and work directories of C into O (swrk reads
 * them as /proc/<worker>/fd/N when the request comes). */
int cr_criu_session_dirs(struct criu_opts *o, const struct cr_criu_common *c, struct cr_error *err);

/* Turn a failed libcriu call's return value R (with errno as libcriu left it)
 * into an error naming WHAT. */
int cr_criu_call_error(int r, const char *what, struct cr_error *err);

/* lazy_claim.c, the guard's side of a prepared daemon's hand-over: the
 * offer listens as IMAGES_DIR/lazy-pages.claim (withdrawn: its name
 * removed); take: a claim waiting at most TIMEOUT_MS gets RELAY_FD and this
 * process's pid, its connection returned (-1: none); the verdict goes to a
 * claimed guard's connection FD (-1: nothing to do). */
int cr_lazy_offer_open(const char *images_dir, int *ret_fd, struct cr_error *err);
void cr_lazy_offer_withdraw(const char *images_dir);
int cr_lazy_offer_take(int offer_fd, int relay_fd, int timeout_ms);
void cr_lazy_verdict_send(int fd, int code);

/* The claimer's side: whether GUARD is the one this process claimed; its
 * verdict (exit code) within TIMEOUT_MS, -ETIMEDOUT when it had to be told
 * to end. */
bool cr_lazy_claimed(pid_t guard);
int cr_lazy_claimed_wait(int timeout_ms, int *ret_code);

#endif
