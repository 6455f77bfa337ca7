/* Running a helper program (tar, for one) to its end, with a deadline. */
#ifndef CORRAL_UTIL_RUN_H
#define CORRAL_UTIL_RUN_H

#include "util/error.h"

/* Run ARGV (ARGV[0] looked up in PATH) with stdin from /dev/null; its stdout
 * and stderr are kept. After TIMEOUT_MS it is killed. Non-zero exit, a
 * signal or the deadline is an error quoting the last line it printed. */
int cr_run(char *const *argv, int timeout_ms, struct cr_error *err);
/* The same, where an exit status up to OK_EXIT is a success (GNU tar's 1:
 * a file changed while it was read). */
int cr_run_upto(char *const *argv, int timeout_ms, int ok_exit, struct cr_error *err);

#endif
