/* Finding the criu binary and making sense of its version. */
#ifndef CORRAL_CHECK_CRIU_BINARY_H
#define CORRAL_CHECK_CRIU_BINARY_H

#include <stdbool.h>

#include "util/error.h"

/* The criu binary: $CORRAL_CRIU when set, else the first executable criu on
 * $PATH, else in /usr/local/sbin, /usr/sbin, /sbin, /usr/local/bin, /usr/bin.
 * -ENOENT when there is none. */
int cr_criu_locate(char **ret_path, struct cr_error *err);

struct cr_criu_version {
	int major, minor, sublevel;
};

/* Parse the "Version: 4.1.1" line of `criu --version`. -EINVAL if absent. */
int cr_criu_parse_version(const char *text, struct cr_criu_version *ret, struct cr_error *err);

/* True when V is at least CR_CRIU_MIN_MAJOR.CR_CRIU_MIN_MINOR. */
bool cr_criu_version_ok(const struct cr_criu_version *v);

#endif
