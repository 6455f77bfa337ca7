/* The landing area of a relocation's image on this host: the image is
 * unpacked as it arrives into a fresh directory, which becomes
 * incoming/NAME.d once whole. CRIU's images (about the partition's memory)
 * and its file systems go to a tmpfs when one has room for them and for the
 * restored memory besides (util/workdir.h), so that no full image lands on
 * a disk: incoming/NAME.d is then a symbolic link to that directory.
 * Otherwise NAME.d is a directory in the state directory. */
#ifndef CORRAL_RELOCATE_LANDING_H
#define CORRAL_RELOCATE_LANDING_H

#include <stdint.h>

#include "transport/arrival.h"
#include "util/error.h"
#include "util/workdir.h"

/* <root>/var/lib/corral/incoming/NAME.d after checking NAME (heap). */
int cr_unpacked_path(const char *name, char **ret_path, struct cr_error *err);

/* A fresh landing for NAME's image of SIZE_HINT bytes (0: unknown, never on
 * the tmpfs), a work directory (util/workdir.h) whose path the extraction
 * makes (MADE: made here, empty, for a landing prepared ahead);
 * cr_landing_keep makes it NAME.d (renamed, or linked to when it is on the
 * tmpfs); cr_landing_drop removes it. */
int cr_landing_new(const char *name, uint64_t size_hint, bool made, struct cr_workdir *ret, struct cr_error *err);
int cr_landing_keep(const char *name, const struct cr_workdir *w, struct cr_error *err);
void cr_landing_drop(struct cr_workdir *w);

/* Remove NAME.d and what it links to. */
void cr_unpacked_remove(const char *name);

/* At daemon start, with no connection alive: remove partial landings, and
 * NAME.d links whose tmpfs directory went with a reboot. Returns how many. */
unsigned cr_landing_sweep(void);

#endif
