/* Run a program with a deadline and capture what it prints. */
#ifndef CORRAL_CHECK_RUN_CMD_H
#define CORRAL_CHECK_RUN_CMD_H

#include <sys/types.h>

#include "util/error.h"

/* Largest output kept; the rest is read and dropped. */
#define CR_RUN_OUTPUT_MAX (64 * 1024)

/* Run ARGV (ARGV[0] is a path) with this environment plus EXTRA_ENV (a
 * NULL-terminated list of "NAME=value" overriding same-named variables; may
 * be NULL), stdin from /dev/null, stdout and stderr captured together. When
 * TIMEOUT_MS pass, the program and its process group are killed: -ETIMEDOUT.
 * On success *RET_STATUS is its wait status and *RET_OUTPUT the heap output. */
int cr_run_capture(char *const argv[], char *const extra_env[], int timeout_ms,
		   char **ret_output, int *ret_status, struct cr_error *err);

/* Start ARGV in the background, in its own process group, with stdin, stdout
 * and stderr on /dev/null and the environment of cr_run_capture. The caller
 * waits for it with a bound (util/child_wait.h) and kills it when that
 * passes (cr_child_kill with GROUP). */
int cr_run_start(char *const argv[], char *const extra_env[], pid_t *ret_pid,
		 struct cr_error *err);

#endif
