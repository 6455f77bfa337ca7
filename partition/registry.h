/* The set of partitions on this host: their spec files in $ROOT/etc/wpars
 * (NAME.spec) and their runtime state. Loading reconciles the recorded state
 * with reality: a partition recorded as running whose monitor is gone is
 * reported Broken with the reason, never as Active. */
#ifndef CORRAL_PARTITION_REGISTRY_H
#define CORRAL_PARTITION_REGISTRY_H

#include <stddef.h>

#include "partition/state.h"
#include "spec/config.h"
#include "util/error.h"

struct cr_wpar {
	struct cr_wpar_config config;
	struct cr_wpar_state state;
};

void cr_wpar_free(struct cr_wpar *w);
void cr_wpar_list_free(struct cr_wpar *list, size_t n);

/* Load one partition; -ENOENT with "no partition named NAME" when unknown.
 * What a killed command left half done to it is settled first when its lock
 * is free; a removal that cannot be completed shows it Broken, the reason
 * being why. */
int cr_registry_load(const char *name, struct cr_wpar *ret, struct cr_error *err);

/* NAME's spec and state as they are recorded: nothing settled or reconciled
 * (for the code that settles). */
int cr_registry_read(const char *name, struct cr_wpar *ret, struct cr_error *err);

/* Every partition, sorted by name; a half-made one is never listed. */
int cr_registry_list(struct cr_wpar **ret_list, size_t *ret_n, struct cr_error *err);

/* 1 if a partition NAME is defined, 0 if not. */
int cr_registry_exists(const char *name);

/* Write the spec file of CFG->name atomically. */
int cr_registry_save_config(const struct cr_wpar_config *cfg, struct cr_error *err);

/* Remove the spec file of NAME. */
int cr_registry_remove_config(const char *name, struct cr_error *err);

/* Path of NAME's spec file. */
int cr_registry_spec_path(const char *name, char **ret_path, struct cr_error *err);

/* Take the per-partition lock (flock on $ROOT/run/corral/NAME.lock), waiting
 * at most TIMEOUT_MS; returns the lock fd in *RET_FD. Close it to release.
 * Whatever a command that ended (killed) left half done to NAME is settled
 * first (cr_registry_lock_settled); a failure to do so is an error. */
int cr_registry_lock(const char *name, int timeout_ms, int *ret_fd, struct cr_error *err);

/* What taking a name's lock found and settled. */
enum cr_settled {
	CR_SETTLED_NOTHING = 0,
	CR_SETTLED_UNCREATED,  /* a killed mkwpar's partial partition was rolled back */
	CR_SETTLED_CREATED,    /* a killed mkwpar had finished but for its record */
	CR_SETTLED_REMOVED,    /* a killed rmwpar's removal was carried through */
	CR_SETTLED_TRANSITION, /* a killed startwpar or stopwpar's Transitional state was ended */
};

/* cr_registry_lock, telling in *RET_SETTLED what it settled. */
int cr_registry_lock_settled(const char *name, int timeout_ms, int *ret_fd, enum cr_settled *ret_settled,
			     struct cr_error *err);

/* Take NAME's lock (cr_registry_lock) and load it; on failure the lock is
 * released and *RET_LOCK stays -1. */
int cr_registry_lock_load(const char *name, int timeout_ms, int *ret_lock, struct cr_wpar *ret,
			  struct cr_error *err);

#endif
