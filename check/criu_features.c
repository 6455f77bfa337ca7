/* CRIU features an image's restore needs, against this host's CRIU. */
#include "check/criu_features.h"

#include <string.h>

static const struct {
	const char *name;
	enum cr_probe_id probe;
	const char *how; /* where a CRIU gets it */
} features[] = {
	{CR_CRIU_FEATURE_TMPFS_TAR, CR_PROBE_CRIU_TMPFS_TAR,
	 "scripts/criu-patches/0009: run scripts/deps.sh to rebuild CRIU with it"},
	{CR_CRIU_FEATURE_LAZY_ANY_ORDER, CR_PROBE_CRIU_LAZY_ANY_ORDER,
	 "scripts/criu-patches/0010: run scripts/deps.sh to rebuild CRIU with it"},
};

static int find(const char *feature)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (strcmp(features[i].name, feature) == 0)
			return (int)i;
	return -1;
}

bool cr_criu_feature_here(const struct cr_host_facts *here, const char *feature)
{
	int i = find(feature);
	return i >= 0 && here->probes[features[i].probe].status == CR_PROBE_OK;
}

bool cr_dump_tmpfs_plain(const struct cr_host_facts *here, bool restorers_have)
{
	return restorers_have && cr_criu_feature_here(here, CR_CRIU_FEATURE_TMPFS_TAR);
}

int cr_criu_features_check(const struct cr_host_facts *here, char *const *needs, size_t n_needs,
			   struct cr_error *err)
{
	for (size_t k = 0; k < n_needs; k++) {
		if (cr_criu_feature_here(here, needs[k]))
			continue;
		int i = find(needs[k]);
		return cr_error_set(err, EOPNOTSUPP, "the image needs CRIU feature %s, which %s %s lacks (%s)",
				    needs[k], here->criu_path ? "the criu at" : "this host's criu",
				    here->criu_path ? here->criu_path : "",
				    i >= 0 ? features[i].how : "unknown to this Corral: upgrade Corral and CRIU");
	}
	return 0;
}

const char *cr_criu_needs_of_dump(bool tmpfs_plain_tar)
{
	return tmpfs_plain_tar ? CR_CRIU_FEATURE_TMPFS_TAR : NULL;
}

int cr_host_criu_has(char *const *needs, size_t n_needs, struct cr_error *err)
{
	struct cr_host_facts f;
	int r = cr_host_facts_get(false, &f, err);
	if (r < 0)
		return cr_error_wrap(err, "finding out what this host's criu can do");
	r = cr_criu_features_check(&f, needs, n_needs, err);
	cr_host_facts_free(&f);
	return r;
}
