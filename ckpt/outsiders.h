/* Processes in a partition's cgroup that its init did not start: clogin
 * sessions (their terminal belongs to the global environment) and anything
 * else that entered from outside. They cannot be checkpointed with the tree. */
#ifndef CORRAL_CKPT_OUTSIDERS_H
#define CORRAL_CKPT_OUTSIDERS_H

#include <stddef.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "util/error.h"

struct cr_outsider {
	pid_t pid;
	char *what; /* "pid 1234 (bash): clogin session of root on /dev/pts/3" */
};

int cr_outsiders_find(const char *name, pid_t init, struct cr_cgroup *cg, struct cr_outsider **ret,
		      size_t *ret_n, struct cr_error *err);

/* One line naming them all ("pid 12 (sh): ...; pid 13 ..."), heap. */
char *cr_outsiders_describe(const struct cr_outsider *o, size_t n);

/* SIGKILL them and wait (bounded) until they are gone. */
int cr_outsiders_end(const struct cr_outsider *o, size_t n, struct cr_error *err);

void cr_outsiders_free(struct cr_outsider *o, size_t n);

#endif
