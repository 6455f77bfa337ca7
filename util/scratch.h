/* Where CRIU's images go while a partition is frozen. CRIU writes every page
 * of the partition there and the image writer reads them straight back, so a
 * tmpfs spares the round through a disk file system (its journal, writeback
 * competing with the dump, dirty-page throttling). The images cost memory
 * while they exist (about the partition's own), so a tmpfs is used only when
 * it has room for them and the machine keeps a reserve besides. */
#ifndef CORRAL_UTIL_SCRATCH_H
#define CORRAL_UTIL_SCRATCH_H

#include <stdbool.h>
#include <stdint.h>

/* Memory the machine keeps free whatever the scratch takes: an eighth of
 * RAM, and never less than this. */
#define CR_SCRATCH_RESERVE_MIN (256ull << 20)

/* The base directory for NEED bytes of scratch: $CORRAL_SCRATCH_DIR when set
 * (an administrator's choice, not checked), else the first of
 * $ROOT/run/corral and /dev/shm (the latter only when CORRAL_ROOT is unset,
 * so that a test's root holds all it makes) that is a tmpfs with NEED bytes
 * free while MemAvailable stays above the reserve, else FALLBACK. A heap
 * string, NULL when out of memory. *RET_TMPFS says whether it is one of the
 * tmpfs candidates: names made there must say whose they are, and
 * cr_scratch_sweep removes what a run that died left. */
char *cr_scratch_base(const char *fallback, uint64_t need, bool *ret_tmpfs);

/* Remove every entry whose name starts with PREFIX from the tmpfs candidates
 * (nothing else cleans a tmpfs but a reboot). Call it holding the lock of
 * whatever PREFIX names, so that no live run's directory goes. */
void cr_scratch_sweep(const char *prefix);

/* Remove the entries of DIR whose name starts with PREFIX and, with BY_PID,
 * goes on with "<pid>." of a process that is gone. Returns how many went. */
unsigned cr_scratch_sweep_in(const char *dir, const char *prefix, bool by_pid);

/* Remove the entries named "PREFIX<pid>.<anything>" whose process is gone:
 * for runs that hold no lock (a restart learns the partition's name from
 * its image). */
void cr_scratch_sweep_dead(const char *prefix);

/* Whether NEED bytes fit in the file system of DIR (a tmpfs) and in memory:
 * its free space, and MemAvailable less the reserve. */
bool cr_scratch_fits(const char *dir, uint64_t need);

/* Bytes of regular files under DIR on its own file system (no symlinks
 * followed, no mount points crossed), counting stops once past LIMIT. */
uint64_t cr_scratch_tree_bytes(const char *dir, uint64_t limit);

#endif
