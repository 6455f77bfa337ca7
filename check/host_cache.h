/* The probe cache: $ROOT/var/cache/corral/host-facts, a text file of
 * "name=value" lines. It is valid while its key matches this host: kernel
 * release and version, boot id, the criu binary (path, mtime, size) and the
 * effective uid (a probe as an ordinary user sees less than root). */
#ifndef CORRAL_CHECK_HOST_CACHE_H
#define CORRAL_CHECK_HOST_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "check/host_facts.h"

#define CR_HOST_CACHE_MAGIC "corral-host-facts 1"

struct cr_host_key {
	char *kernel;        /* "<release> <version>" from uname */
	char *boot_id;       /* /proc/sys/kernel/random/boot_id */
	char *criu_path;     /* "" when there is no criu */
	int64_t criu_mtime;  /* nanoseconds since the epoch; 0 without criu */
	int64_t criu_size;
	int64_t uid;
};

/* The key of this host now. */
int cr_host_key_current(struct cr_host_key *ret, struct cr_error *err);
void cr_host_key_free(struct cr_host_key *k);
bool cr_host_key_equal(const struct cr_host_key *a, const struct cr_host_key *b);

/* The cache file's text for K and F; -EINVAL when a value holds a newline. */
int cr_host_cache_format(const struct cr_host_key *k, const struct cr_host_facts *f,
			 char **ret_text, struct cr_error *err);

/* Parse TEXT. Every probe must be there; an unknown name, a bad number or a
 * missing magic line is -EINVAL. */
int cr_host_cache_parse(const char *text, struct cr_host_key *ret_key,
			struct cr_host_facts *ret_facts, struct cr_error *err);

/* The cached facts when the cache matches WANT: 1, with RET_FACTS filled and
 * marked cached. 0 when the cache is absent, stale or unreadable. */
int cr_host_cache_load(const struct cr_host_key *want, struct cr_host_facts *ret_facts,
		       struct cr_error *err);

/* Write the cache atomically (creating its directory). */
int cr_host_cache_save(const struct cr_host_key *k, const struct cr_host_facts *f,
		       struct cr_error *err);

#endif
