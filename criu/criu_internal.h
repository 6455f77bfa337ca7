/* Internals shared by the CRIU engine files in criu/:
 * the timed worker, the libcriu session setup, how criu is started here, and
 * the CRIU log reader. */
#ifndef CORRAL_CRIU_CRIU_INTERNAL_H
#define CORRAL_CRIU_CRIU_INTERNAL_H

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

/* In the worker: tell the caller the pid of the tree being restored, so a
 * restore that times out is killed with it. */
void cr_criu_worker_report_root(pid_t pid);

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

struct criu_opts;

/* In the worker: libcriu options with the service binary, the images and
 * work directories, the log and every common option of C set. */
int cr_criu_session_open(const struct cr_criu_common *c, const struct cr_criu_service *svc,
			 const char *default_log, struct criu_opts **ret_opts, struct cr_error *err);

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
