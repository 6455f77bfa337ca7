/* clogin: a login shell or a command inside a running system partition, on a
 * pseudo-terminal allocated in the global environment (as on AIX). Every
 * session is recorded in $ROOT/var/lib/corral/NAME/clogin/PID so that a
 * checkpoint can find it and warn that it will not survive. */
#ifndef CORRAL_PARTITION_CLOGIN_H
#define CORRAL_PARTITION_CLOGIN_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct cr_clogin_request {
	const char *name;  /* the partition */
	const char *user;  /* -l user; NULL for root */
	char *const *argv; /* the command, or NULL / empty for a login shell */
};

/* Run the session; *RET_STATUS gets its exit code. */
int cr_clogin(const struct cr_clogin_request *req, int *ret_status, struct cr_error *err);

struct cr_clogin_session {
	pid_t pid;        /* host pid of the session's first process */
	char *user;
	char *tty;        /* the global pty, or "none" */
	int64_t started;  /* seconds since the epoch */
};

/* The live clogin sessions of NAME (records of ended ones are dropped). */
int cr_clogin_sessions(const char *name, struct cr_clogin_session **ret, size_t *ret_n,
		       struct cr_error *err);
void cr_clogin_sessions_free(struct cr_clogin_session *s, size_t n);

#endif
