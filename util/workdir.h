/* A work directory: "a tmpfs scratch with room for N bytes, else this
 * fallback; a private directory named for its owner, swept when its owner
 * is gone". The one maker behind the checkpoint's dump (ckpt/frozen.c), the
 * restart's extraction (restore/restart.c), a relocation's landing
 * (relocate/landing.c) and movewpar --static's archive
 * (relocate/move_static.c).
 *
 * Where: a tmpfs candidate of util/scratch.h when one has room (below),
 * else FALLBACK. Its name, on either: "corral-OWNER.XXXXXX", or
 * "corral-OWNER.PID.XXXXXX" when a process owns it. The result remembers
 * which one it chose (a tmpfs costs memory while it exists; a landing there
 * is linked to rather than renamed).
 *
 * The one size formula: it goes to a tmpfs only when the tmpfs has
 * CONTENTS + MEMORY + CR_WORKDIR_SLACK bytes free and the machine keeps its
 * memory reserve besides: CONTENTS, what it will hold (a dump's images are
 * at most the partition's memory, plus the archive of its file systems);
 * MEMORY, what the caller takes besides while it exists (a restore's pages:
 * the size of the images again); the slack, CRIU's own files and the
 * archives of tmpfs mounts. */
#ifndef CORRAL_UTIL_WORKDIR_H
#define CORRAL_UTIL_WORKDIR_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

#define CR_WORKDIR_SLACK (64ull << 20)

/* How a leftover (its owner died) is told from a live one. */
enum cr_workdir_owner {
	CR_WORKDIR_LOCKED,  /* the caller holds OWNER's lock: any other one of OWNER is a leftover */
	CR_WORKDIR_PROCESS, /* this process: the name carries its pid; dead pids' ones are leftovers */
	CR_WORKDIR_DAEMON,  /* a daemon's connection: its daemon sweeps them all when it starts */
};

struct cr_workdir_request {
	const char *owner;              /* its name's stem: "web-checkpoint", "restart", "incoming-web" */
	enum cr_workdir_owner owned_by; /* LOCKED and PROCESS leftovers are swept before it is made */
	const char *fallback;           /* where it goes without a tmpfs (made when missing) */
	uint64_t contents;              /* bytes it will hold */
	uint64_t memory;                /* memory the caller takes besides while it exists */
	bool disk_only;                 /* never on a tmpfs (its size is not known) */
	bool name_only;                 /* a fresh name, not made: the caller's extraction makes it */
};

struct cr_workdir {
	char *path; /* heap */
	bool tmpfs; /* on the scratch (a tmpfs, or $CORRAL_SCRATCH_DIR), not in FALLBACK */
};

/* The bytes a tmpfs must have free for REQ (the formula above). */
uint64_t cr_workdir_room(const struct cr_workdir_request *req);

/* Make REQ's directory (*RET filled; untouched on failure). */
int cr_workdir_make(const struct cr_workdir_request *req, struct cr_workdir *ret, struct cr_error *err);

/* Remove the directory and all it holds (nothing when never made), then
 * free RET's path. Safe on a zeroed or released one. */
void cr_workdir_remove(struct cr_workdir *w);
/* Keep the directory (it was renamed or handed over); free the path. */
void cr_workdir_release(struct cr_workdir *w);

/* Remove every directory (and partial extraction beside it) of the owners
 * whose stem starts with OWNER_PREFIX, on the tmpfs candidates and in
 * FALLBACK (may be NULL). For a daemon at start, when none is alive.
 * Returns how many went from FALLBACK. */
unsigned cr_workdir_sweep(const char *owner_prefix, const char *fallback);

#endif
