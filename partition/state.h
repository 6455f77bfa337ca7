/* A partition's runtime state, kept in $ROOT/var/lib/corral/NAME/state and
 * written atomically. A partition without a state file is Defined. */
#ifndef CORRAL_PARTITION_STATE_H
#define CORRAL_PARTITION_STATE_H

#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* The AIX states, by their letters. */
enum cr_state {
	CR_STATE_DEFINED = 'D',
	CR_STATE_LOADED = 'L',
	CR_STATE_ACTIVE = 'A',
	CR_STATE_FROZEN = 'F',
	CR_STATE_PAUSED = 'P',
	CR_STATE_TRANSITIONAL = 'T',
	CR_STATE_BROKEN = 'B',
};

struct cr_wpar_state {
	enum cr_state state;
	pid_t init_pid;       /* host pid of the partition's init (0: none) */
	pid_t monitor_pid;    /* host pid of the monitor, AIX's cor_NAME (0: none) */
	pid_t owner_pid;      /* the command carrying out a Transitional operation */
	int64_t start_time;   /* when it became Active, seconds since the epoch */
	char *operation;      /* what is in progress or was last done ("none", "start", "checkpoint") */
	char *broken_reason;  /* why it is Broken, NULL otherwise */
};

void cr_state_init(struct cr_wpar_state *st);
void cr_state_free(struct cr_wpar_state *st);

/* "Active" for 'A', etc.; "Unknown" for anything else. */
const char *cr_state_name(enum cr_state s);

/* 1 when C is one of the seven state letters. */
int cr_state_letter_valid(char c);

/* Load NAME's state; a missing file gives Defined. */
int cr_state_load(const char *name, struct cr_wpar_state *ret, struct cr_error *err);

/* Save atomically (write, fsync, rename). */
int cr_state_save(const char *name, const struct cr_wpar_state *st, struct cr_error *err);

/* Record that NAME is now in STATE doing OPERATION ("none" at rest) and save
 * it. A state in between (T, F, P) records this process as its owner, so that
 * it is known to be Broken should this process end before it is done. */
int cr_state_transition(const char *name, struct cr_wpar_state *st, enum cr_state state,
			const char *operation, struct cr_error *err);

/* Remove NAME's runtime directory (state, logs). */
int cr_state_remove(const char *name, struct cr_error *err);

/* The runtime directory of NAME ($ROOT/var/lib/corral/NAME), created if needed. */
int cr_state_dir(const char *name, char **ret_path, struct cr_error *err);

#endif
