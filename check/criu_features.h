/* What CRIU features beyond 4.1.1 an image's restore needs, and whether this
 * host's CRIU has them. A dump uses such a feature only when every CRIU that
 * will restore it has it; the image records it (its manifest's criu_needs), so
 * a restore on a host without it is refused before anything changes. */
#ifndef CORRAL_CHECK_CRIU_FEATURES_H
#define CORRAL_CHECK_CRIU_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "check/host_facts.h"
#include "util/error.h"

/* A CRIU that restores a tmpfs carried as a plain tmpfs-dev-N.tar, and dumps
 * one when asked (scripts/criu-patches/0009; CR_PROBE_CRIU_TMPFS_TAR). The
 * name travels in the Hello and in image manifests: never change it. */
#define CR_CRIU_FEATURE_TMPFS_TAR "tmpfs-plain-tar"

/* A CRIU whose lazy-pages takes page answers in any order and marks a
 * fault's request (scripts/criu-patches/0010; CR_PROBE_CRIU_LAZY_ANY_ORDER):
 * the page relays may then serve faults ahead of the push. Travels in the
 * Hello: never change it. */
#define CR_CRIU_FEATURE_LAZY_ANY_ORDER "lazy-any-order"

/* Whether HERE's CRIU has FEATURE (a CR_CRIU_FEATURE_* name; unknown: no). */
bool cr_criu_feature_here(const struct cr_host_facts *here, const char *feature);

/* A dump's tmpfs as a plain tar: only when HERE's CRIU writes one and every
 * CRIU that will restore the dump reads it (RESTORERS_HAVE). */
bool cr_dump_tmpfs_plain(const struct cr_host_facts *here, bool restorers_have);

/* The manifest's criu_needs of a dump (cr_image_info.criu_needs), or NULL. */
const char *cr_criu_needs_of_dump(bool tmpfs_plain_tar);

/* 0 when HERE's CRIU has every feature in NEEDS; else -EOPNOTSUPP naming the
 * first missing one, the CRIU here and how to get it. */
int cr_criu_features_check(const struct cr_host_facts *here, char *const *needs, size_t n_needs,
			   struct cr_error *err);

/* cr_criu_features_check against this host's (cached) facts. */
int cr_host_criu_has(char *const *needs, size_t n_needs, struct cr_error *err);

#endif
