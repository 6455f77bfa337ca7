/* The record of a relocation to this host: incoming/NAME.relocation names
 * what a Restore made here (the partition defined, the file systems
 * unpacked, the source, the relocation's id) from before anything runs until
 * the relocation is settled (Commit, Abort, the source's word, or the
 * administrator). Once committed, the id stays in the partition's state
 * (NAME/arrival), so that a repeated Commit of that relocation is known. */
#ifndef CORRAL_RELOCATE_RELOCATION_RECORD_H
#define CORRAL_RELOCATE_RELOCATION_RECORD_H

#include <stdbool.h>

#include "util/error.h"

#define CR_RELOCATION_SUFFIX ".relocation"

struct cr_relocation_record {
	char *rootfs; /* file systems unpacked here, or NULL */
	char *peer;   /* the source's name in the trusted-peers file, or NULL */
	char *id;     /* the relocation's id, or NULL */
	bool defined; /* the partition was defined here */
	bool prepared; /* prepared ahead (PrepareArrival), not restored: nothing of it ran */
};

void cr_relocation_record_free(struct cr_relocation_record *rec);

/* <root>/var/lib/corral/incoming/NAME.relocation after checking NAME (heap). */
int cr_relocation_record_path(const char *name, char **ret_path, struct cr_error *err);

int cr_relocation_record_save(const char *name, const struct cr_relocation_record *rec, struct cr_error *err);
/* 1 and *RET filled when NAME has a record, 0 when it has none. */
int cr_relocation_record_load(const char *name, struct cr_relocation_record *ret, struct cr_error *err);

/* A relocation id from the wire: 1 to 64 lower-case hex digits. */
int cr_relocation_id_check(const char *id, struct cr_error *err);

/* True when a relocation of NAME to this host is not settled yet (the
 * source's name in *RET_PEER, heap, NULL when not recorded). */
bool cr_relocation_pending(const char *name, char **ret_peer);

/* Forget NAME's relocation record and unpacked image: the administrator
 * settled it (resumewpar, rmwpar) or the relocation was. */
void cr_relocation_forget(const char *name);

/* The committed relocation ID brought NAME here (kept with its state);
 * cr_relocation_arrived_by: NAME came by relocation ID. */
void cr_relocation_arrival_save(const char *name, const char *id);
bool cr_relocation_arrived_by(const char *name, const char *id);

/* Call FN for every relocation left recorded (at daemon start). */
void cr_relocation_each_left(void (*fn)(void *ctx, const char *name, const struct cr_relocation_record *rec),
			     void *ctx);

#endif
