/* chwpar: change a partition's attributes, live where Linux allows it.
 *
 * The change is made on a copy of the recorded configuration; the spec file
 * is rewritten (atomically) only when everything else succeeded, so a bad
 * value or a refused change leaves the partition exactly as it was.
 *
 * On a running partition (Active, Frozen, or Paused with its processes
 * kept) the hostname and the resource controls change live; the mounts, the
 * network, the base directory, the name, checkpointable and the security
 * privileges are refused there. A Loaded partition, or a Paused one whose
 * processes are only in its checkpoint, takes the live-changeable
 * attributes into its spec only. On a Defined partition everything may change: a new name moves
 * the spec file, the runtime directory and (when it was the default one) the
 * base directory; a new base directory moves the root part there. */
#ifndef CORRAL_PARTITION_CHANGE_H
#define CORRAL_PARTITION_CHANGE_H

#include <stdbool.h>

#include "partition/registry.h"
#include "spec/config.h"
#include "util/error.h"

/* Applies the requested changes to CFG (a copy of the recorded one). Setting
 * the general attribute "name" renames the partition. */
typedef int (*cr_change_fn)(struct cr_wpar_config *cfg, void *data, struct cr_error *err);

/* What cr_partition_change did, for chwpar -v. */
struct cr_change_result {
	bool changed;          /* the spec file was rewritten */
	bool hostname_live;    /* the running partition got its new hostname */
	bool resources_live;   /* the running partition got its new resource controls */
	bool renamed;          /* spec file and runtime directory moved to the new name */
	bool directory_moved;  /* the root part moved to the new base directory */
};

/* Load NAME under its lock, call APPLY(cfg, DATA, err) on a copy of its
 * configuration, validate, carry the change out, save. *RET (may be NULL)
 * says what was done; it is filled on success only. */
int cr_partition_change(const char *name, cr_change_fn apply, void *data,
			struct cr_change_result *ret, struct cr_error *err);

/* Which attribute groups differ between OLD and NEW (a mask of CR_CHANGE_*). */
enum {
	CR_CHANGE_NAME = 1 << 0,
	CR_CHANGE_HOSTNAME = 1 << 1,
	CR_CHANGE_DIRECTORY = 1 << 2,
	CR_CHANGE_MOUNTS = 1 << 3,
	CR_CHANGE_NETWORK = 1 << 4,
	CR_CHANGE_RESOURCES = 1 << 5,
	CR_CHANGE_SECURITY = 1 << 6,
	CR_CHANGE_CHECKPOINTABLE = 1 << 7,
	CR_CHANGE_OTHER = 1 << 8, /* auto, script, owner, devices...: spec only */
};
unsigned cr_change_diff(const struct cr_wpar_config *old_cfg, const struct cr_wpar_config *new_cfg);

/* The words chwpar uses for one CR_CHANGE_* bit in its refusals ("mounts"). */
const char *cr_change_what(unsigned bit);

/* 0 when the changes in MASK may be made to NAME in STATE (a cr_state
 * letter), else -EBUSY naming the first attribute that cannot change:
 * "cannot change the mounts of web while it is Active: stop it first". */
int cr_change_check_allowed(const char *name, int state, unsigned mask, struct cr_error *err);

/* The steps of cr_partition_change, each with its undo (best effort, for
 * when a later step fails). */

/* Running partition W: apply the hostname and the resource controls of CFG
 * (those in MASK) to it now; records what was done in RES. */
int cr_change_live(const struct cr_wpar *w, const struct cr_wpar_config *cfg, unsigned mask,
		   struct cr_change_result *res, struct cr_error *err);
void cr_change_live_undo(const struct cr_wpar *w, const struct cr_wpar_config *cfg,
			 const struct cr_change_result *res);

/* Defined partition: move the root part from OLD_CFG's base directory to
 * CFG's and the runtime directory from OLD_CFG's name to CFG's. */
int cr_change_move(const struct cr_wpar_config *old_cfg, const struct cr_wpar_config *cfg,
		   struct cr_change_result *res, struct cr_error *err);
void cr_change_move_undo(const struct cr_wpar_config *old_cfg, const struct cr_wpar_config *cfg,
			 const struct cr_change_result *res);

#endif
