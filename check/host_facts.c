/* Probing the host, through the cache, and what CRIU needs to run here. */
#define LOG_PREFIX "check: "
#include "check/host_facts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/host_cache.h"
#include "check/probes.h"
#include "util/cleanup.h"
#include "util/log.h"

void cr_host_facts_free(struct cr_host_facts *f)
{
	if (!f)
		return;
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		free(f->probes[i].detail);
	free(f->criu_path);
	free(f->criu_version);
	free(f->cgroup_mode);
	free(f->cgroup_v1);
	free(f->cgroup_v2);
	memset(f, 0, sizeof(*f));
}

int cr_host_facts_probe(struct cr_host_facts *ret, struct cr_error *err)
{
	/* Breakpoints first: the criu probe runs criu with CRIU_FAULT when needed. */
	static int (*const probes[])(struct cr_host_facts *, struct cr_error *) = {
		cr_probe_breakpoints, cr_probe_criu,       cr_probe_namespaces, cr_probe_cgroups,
		cr_probe_memory,      cr_probe_filesystems, cr_probe_network,    cr_probe_lazy,
		cr_probe_seccomp,     cr_probe_criu_features,
	};
	struct cr_host_facts f;
	memset(&f, 0, sizeof(f));
	f.probed_at = (int64_t)time(NULL);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int r = probes[i](&f, err);
		if (r < 0) {
			cr_host_facts_free(&f);
			return cr_error_wrap(err, "probing the host");
		}
	}
	*ret = f;
	return 0;
}

int cr_host_facts_get(bool refresh, struct cr_host_facts *ret, struct cr_error *err)
{
	struct cr_host_key key;
	int r = cr_host_key_current(&key, err);
	if (r < 0)
		return r;
	if (!refresh) {
		r = cr_host_cache_load(&key, ret, err);
		if (r != 0) {
			cr_host_key_free(&key);
			return r < 0 ? r : 0;
		}
	}
	struct cr_host_facts f;
	r = cr_host_facts_probe(&f, err);
	if (r < 0) {
		cr_host_key_free(&key);
		return r;
	}
	struct cr_error serr = CR_ERROR_INIT;
	if (cr_host_cache_save(&key, &f, &serr) < 0)
		cr_debug("%s", cr_error_msg(&serr)); /* e.g. not root: probe again next time */
	cr_error_clear(&serr);
	cr_host_key_free(&key);
	*ret = f;
	return 0;
}

void cr_criu_env_free(struct cr_criu_env *env)
{
	if (!env)
		return;
	free(env->criu_path);
	env->criu_path = NULL;
}

/* The criu of F as the engine runs it, or why there is none to run. */
static int criu_env_of(const struct cr_host_facts *f, struct cr_criu_env *ret, struct cr_error *err)
{
	if (!f->criu_path)
		return cr_error_set(err, ENOENT, "no criu binary: %s",
				    f->probes[CR_PROBE_CRIU].detail ? f->probes[CR_PROBE_CRIU].detail : "not found");
	if (f->probes[CR_PROBE_CRIU].status != CR_PROBE_OK)
		return cr_error_set(err, ENOTSUP, "criu %s at %s cannot be used: Corral needs %d.%d or newer",
				    f->criu_version ? f->criu_version : "(unknown version)", f->criu_path,
				    CR_CRIU_MIN_MAJOR, CR_CRIU_MIN_MINOR);
	if (!(ret->criu_path = strdup(f->criu_path)))
		return cr_error_set(err, ENOMEM, "out of memory");
	ret->needs_fault = f->criu_needs_fault;
	return 0;
}

int cr_host_criu_env(struct cr_criu_env *ret, struct cr_error *err)
{
	struct cr_host_facts f;
	int r = cr_host_facts_get(false, &f, err);
	if (r < 0)
		return r;
	r = criu_env_of(&f, ret, err);
	cr_host_facts_free(&f);
	return r;
}

int cr_host_criu_service_of(const struct cr_host_facts *f, struct cr_criu_service *ret, struct cr_error *err)
{
	int r = cr_criu_service_forced(ret, err);
	if (r != 0)
		return r < 0 ? r : 0;
	struct cr_criu_env env = {NULL, false};
	if ((r = criu_env_of(f, &env, err)) < 0)
		return cr_error_wrap(err, "finding out how to run criu here");
	ret->binary = steal_pointer(&env.criu_path);
	ret->fault = env.needs_fault ? CR_CRIU_FAULT_NO_BREAKPOINTS_CODE : -1;
	return 0;
}

int cr_host_criu_service(struct cr_criu_service *ret, struct cr_error *err)
{
	int r = cr_criu_service_forced(ret, err);
	if (r != 0)
		return r < 0 ? r : 0;
	struct cr_host_facts f;
	if ((r = cr_host_facts_get(false, &f, err)) < 0)
		return cr_error_wrap(err, "finding out how to run criu here");
	r = cr_host_criu_service_of(&f, ret, err);
	cr_host_facts_free(&f);
	return r;
}

bool cr_host_criu_streams_of(const struct cr_host_facts *f)
{
	return f->probes[CR_PROBE_CRIU_STREAM].status == CR_PROBE_OK;
}

static bool probe_ok(enum cr_probe_id id)
{
	struct cr_host_facts f;
	struct cr_error err = CR_ERROR_INIT;
	bool yes = false;
	if (cr_host_facts_get(false, &f, &err) == 0) {
		yes = f.probes[id].status == CR_PROBE_OK;
		cr_host_facts_free(&f);
	} else {
		cr_debug("host facts: %s", cr_error_msg(&err));
	}
	cr_error_clear(&err);
	return yes;
}

bool cr_host_criu_streams(void)
{
	return probe_ok(CR_PROBE_CRIU_STREAM);
}

bool cr_host_criu_tmpfs_plain_tar(void)
{
	return probe_ok(CR_PROBE_CRIU_TMPFS_TAR);
}

bool cr_host_criu_lazy_any_order(void)
{
	return probe_ok(CR_PROBE_CRIU_LAZY_ANY_ORDER);
}
