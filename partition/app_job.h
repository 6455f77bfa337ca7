/* Checkpointable application jobs (wparexec -c).
 *
 * A checkpointable job runs like an application partition (its own pid,
 * mount, uts and ipc namespaces, the global file systems; see
 * cr_app_job_spawn for which mounts), but its session starts inside the
 * partition and its stdin is /dev/null: CRIU cannot give
 * a restored job the caller's terminal. Its stdout and stderr go to the
 * job's output file (opened O_APPEND, so CRIU reopens it at restart whatever
 * was appended since), which wparexec, and after a restart restartwpar,
 * copy to their own stdout while the job runs.
 *
 * How the job ended is recorded in its state directory (file "end") by its
 * monitor: "exit N" when the command ended with status N (128+SIG when killed
 * by SIG), "checkpointed" when chkptwpar -k took it away. A checkpointed job
 * stays Defined with its output file, so that restartwpar -i IMAGE NAME brings
 * it back; once its command and every process it started have ended (the
 * init exits with the command's status, which a checkpoint carries in the
 * init's memory when the command had exited already) the job's partition
 * is removed by whoever waited for it (wparexec or restartwpar). */
#ifndef CORRAL_PARTITION_APP_JOB_H
#define CORRAL_PARTITION_APP_JOB_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "spec/config.h"
#include "util/error.h"

/* wparexec and restartwpar exit with this when chkptwpar -k took the job
 * away (EX_TEMPFAIL): its status comes from the restartwpar that resumes it. */
#define CR_APP_JOB_CHECKPOINTED_EXIT 75

/* $ROOT/var/lib/corral/NAME/output, the directory created if needed. */
int cr_app_job_output_path(const char *name, char **ret_path, struct cr_error *err);

/* Create NAME's output file if it is missing (a job restored on a host that
 * has never run it). The size of the file in *RET_SIZE (may be NULL). */
int cr_app_job_output_prepare(const char *name, off_t *ret_size, struct cr_error *err);

/* Start the job's init ARGV in new pid, mount, uts and ipc namespaces, in
 * cgroup CG, in a session of its own, stdin /dev/null, stdout and stderr
 * appended to OUTPUT, capabilities dropped as for any partition. It shares
 * the host's network and root file system; of the host's other mounts it
 * keeps those CRIU brings back as they were (binds of the root file system,
 * /dev, /sys) and gets a /proc of its own. Returns once ARGV runs. */
int cr_app_job_spawn(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, const char *output, char *const *argv,
		     pid_t *ret_pid, struct cr_error *err);

/* The partition log's size now: where to look for a checkpoint later. */
off_t cr_app_job_log_mark(const char *name);

/* The monitor's record of how the job ended. STATUS is a wait(2) status; when
 * the job was killed and the partition log says, after LOG_MARK, that
 * chkptwpar -k ended it, it is recorded as "checkpointed". */
int cr_app_job_record_end(const char *name, int status, off_t log_mark, struct cr_error *err);

/* Forget an earlier end (before the job runs again). */
void cr_app_job_clear_end(const char *name);

struct cr_app_job_end {
	bool checkpointed; /* chkptwpar -k took it away */
	int exit_code;     /* else: the command's exit status (128+SIG if killed) */
};

/* Read the monitor's record; -ENOENT when there is none (the monitor died). */
int cr_app_job_read_end(const char *name, struct cr_app_job_end *ret, struct cr_error *err);

/* Copy what PATH gains past *OFFSET to OUT_FD until STOP_FD becomes readable
 * (a pipe's other end closed, a pidfd's process ended), then copy the rest.
 * *OFFSET is advanced. */
void cr_app_job_relay(const char *path, off_t *offset, int out_fd, int stop_fd);

/* The same in a child process, for a caller that must block meanwhile. */
struct cr_app_job_relayer {
	pid_t pid;
	int stop_fd;
};

int cr_app_job_relay_start(const char *path, off_t offset, int out_fd, struct cr_app_job_relayer *ret,
			   struct cr_error *err);

/* Let the relayer copy what is left, and wait for it. */
void cr_app_job_relay_stop(struct cr_app_job_relayer *r);

/* restartwpar: relay NAME's output from OFFSET while its monitor (pid
 * MONITOR) runs; then *RET_END says how the job ended. */
int cr_app_job_follow(const char *name, pid_t monitor, off_t offset, int out_fd, struct cr_app_job_end *ret_end,
		      struct cr_error *err);

#endif
