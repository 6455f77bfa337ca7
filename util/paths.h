/* Where Corral keeps things. CORRAL_ROOT moves every path at once, so tests
 * run in a temporary root: spec files in $CORRAL_ROOT/etc/wpars, runtime state
 * in $CORRAL_ROOT/var/lib/corral, default base directories in
 * $CORRAL_ROOT/wpars, locks and sockets in $CORRAL_ROOT/run/corral. */
#ifndef CORRAL_UTIL_PATHS_H
#define CORRAL_UTIL_PATHS_H

#include "util/error.h"

/* The root prefix: "" normally, $CORRAL_ROOT (without trailing slash) in tests. */
const char *cr_root(void);

/* Build "<root><suffix...>" on the heap; returns 0 or -ENOMEM with ERR set. */
int cr_path(char **ret_path, struct cr_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CR_SPEC_DIR "/etc/wpars"
#define CR_STATE_DIR "/var/lib/corral"
#define CR_BASE_DIR "/wpars"
#define CR_RUN_DIR "/run/corral"
#define CR_CACHE_DIR "/var/cache/corral"

#endif
