/* Where Corral keeps things. CORRAL_ROOT moves every path at once, so tests
 * run in a temporary root: spec files in $CORRAL_ROOT/etc/wpars, runtime state
 * in $CORRAL_ROOT/var/lib/corral, default base directories in
 * $CORRAL_ROOT/wpars, locks and sockets in $CORRAL_ROOT/run/corral. */
#ifndef CORRAL_UTIL_PATHS_H
#define CORRAL_UTIL_PATHS_H

#include <stddef.h>

#include "util/error.h"

/* The root prefix: "" normally, $CORRAL_ROOT (without trailing slash) in tests. */
const char *cr_root(void);

/* Build "<root><suffix...>" on the heap; returns 0 or -ENOMEM with ERR set. */
int cr_path(char **ret_path, struct cr_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Check that the LEN bytes of NAME can be one component of a path: 1 to
 * 255 bytes, not "." or "..", no '/', no NUL, newline or other control
 * byte. Returns 0 or -EINVAL with ERR naming it (escaped, cut). */
int cr_path_component_check(const char *name, size_t len, struct cr_error *err);

/* The one way to join a name to a directory: "<parent>/<name><suffix>",
 * after proving with cr_path_component_check that NAME cannot leave PARENT.
 * SUFFIX is the caller's constant (".spec", "/state", ""; NULL for none). */
int cr_path_join(char **ret_path, const char *parent, const char *name, const char *suffix,
		 struct cr_error *err);

/* The same under the root prefix: "<root><dir>/<name><suffix>", DIR one of
 * the directories below ("/var/lib/corral/incoming" too). */
int cr_path_name(char **ret_path, const char *dir, const char *name, const char *suffix,
		 struct cr_error *err);

#define CR_SPEC_DIR "/etc/wpars"
#define CR_STATE_DIR "/var/lib/corral"
#define CR_BASE_DIR "/wpars"
#define CR_RUN_DIR "/run/corral"
#define CR_CACHE_DIR "/var/cache/corral"

#endif
