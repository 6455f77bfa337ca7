/* Partition attributes by stanza and key, the one place that knows them:
 * the spec file (spec/spec_*.c) and the command line (-M, -N, -R, -S,
 * chwpar -K) both set, print and reset attributes through here.
 *
 * Stanzas and keys (keys match in any case):
 *   general:   name hostname directory type checkpointable auto privateusr
 *              copy_nameres preserve script devices owner
 *   network:   interface address netmask broadcast address6 prefixlen gateway
 *   mount:     directory vfs dev host mountopts
 *   resources: active rset shares_CPU CPU shares_memory memory memoryLimit
 *              procVirtMem totalProcesses totalThreads
 *   security:  privs syscalls (lists: -S privs+=a,b and -S syscalls-=c edit them)
 * AIX keys Corral does not use (routing, ostype, totalVirtMem, logname, ...)
 * are accepted and ignored. */
#ifndef CORRAL_SPEC_ATTRS_H
#define CORRAL_SPEC_ATTRS_H

#include <stddef.h>

#include "spec/config.h"
#include "util/error.h"

enum cr_stanza {
	CR_STANZA_GENERAL,
	CR_STANZA_NETWORK,
	CR_STANZA_MOUNT,
	CR_STANZA_RESOURCES,
	CR_STANZA_SECURITY,
};

/* The stanza called NAME (any case), or -1. */
int cr_stanza_lookup(const char *name);

/* "general", "network", ... */
const char *cr_stanza_name(enum cr_stanza stanza);

/* Set KEY = VALUE in STANZA of CFG. For network and mount the value goes to
 * the last entry, which must exist (cr_config_add_netif/_mount). An empty
 * VALUE resets the attribute to its default (AIX writes address = ""). Errors:
 * -ENOENT "unknown attribute 'k' in general stanza", -EINVAL
 * "invalid value 'v' for k: reason". On failure CFG is unchanged. */
int cr_attr_set(struct cr_wpar_config *cfg, enum cr_stanza stanza, const char *key,
		const char *value, struct cr_error *err);

/* Call FN(key, value, data, err) for every attribute of STANZA that differs
 * from its default, in the canonical order above, with its value printed as
 * cr_attr_set reads it back. INDEX selects the network or mount entry.
 * Stops at and returns FN's first negative result. */
typedef int (*cr_attr_visit_fn)(const char *key, const char *value, void *data,
				struct cr_error *err);
int cr_attrs_foreach(const struct cr_wpar_config *cfg, enum cr_stanza stanza, size_t index,
		     cr_attr_visit_fn fn, void *data, struct cr_error *err);

/* Apply the command-line words ("directory=/home", "vfs=nfs", ...) to
 * STANZA ("general", "network", "mount", "resources", "security").
 * "network" adds one new entry holding all the words. "mount" changes the
 * mount whose directory the words name when there is one (so "-M
 * directory=/home mountopts=ro" overrides just that attribute of /home, and
 * "host=" resets one), and adds a new entry otherwise. The other stanzas set
 * fields of CFG. All or nothing: on failure CFG is unchanged. */
int cr_attrs_apply(struct cr_wpar_config *cfg, const char *stanza, char *const *words,
		   size_t n, struct cr_error *err);

/* chwpar -K: reset KEY of STANZA to its default ("-K -R shares_CPU").
 * For "mount" and "network", KEY is "attr=value" and removes the entries
 * whose attr has that value ("-K -M directory=/home",
 * "-K -N address=10.0.0.5"); -ENOENT when none matches. A trailing "=" on a
 * plain key is allowed ("-K -R CPU="). The name cannot be removed. */
int cr_attrs_remove(struct cr_wpar_config *cfg, const char *stanza, const char *key,
		    struct cr_error *err);

/* How many consecutive words of ARGV from START look like key=value
 * (contain '=' and do not start with '-'). */
size_t cr_attrs_count_words(char *const *argv, int argc, int start);

#endif
