/* Intent records: what mkwpar or rmwpar is doing to a name, written before
 * it changes anything ($ROOT/var/lib/corral/NAME.intent) and removed once it
 * is done. A command killed at any moment leaves its record behind; the next
 * command that takes the name's lock finds it (the lock is free, so its
 * owner is gone) and rolls the creation back or carries the removal through
 * (cr_partition_settle, partition/lifecycle.h). */
#ifndef CORRAL_PARTITION_REGISTRY_INTENT_H
#define CORRAL_PARTITION_REGISTRY_INTENT_H

#include <stdbool.h>

#include "util/error.h"

enum cr_intent_op {
	CR_INTENT_NONE = 0,
	CR_INTENT_CREATE,
	CR_INTENT_REMOVE,
};

struct cr_intent {
	enum cr_intent_op op;
	char *directory;        /* the base directory it makes or removes (system partitions) */
	bool made_directory;    /* create: the base directory is its own, to delete on a roll-back */
	bool directory_existed; /* create: an empty base directory was there before: made again */
	bool nfs_root;          /* the root part lives on an export: only its mount point is local */
	bool keep_directory;    /* remove: rmwpar -p, the file systems stay */
};

void cr_intent_free(struct cr_intent *in);

/* Record IN for NAME, durably, before anything is changed. */
int cr_intent_write(const char *name, const struct cr_intent *in, struct cr_error *err);

/* NAME's record into *RET (op CR_INTENT_NONE when there is none). */
int cr_intent_read(const char *name, struct cr_intent *ret, struct cr_error *err);

/* 1 when NAME has a record. */
bool cr_intent_exists(const char *name);

/* Remove NAME's record, durably: the operation is done. */
int cr_intent_clear(const char *name, struct cr_error *err);

/* The names that have a record (for lswpar's walk over every partition). */
int cr_intent_names(char ***ret_names, size_t *ret_n, struct cr_error *err);

#endif
