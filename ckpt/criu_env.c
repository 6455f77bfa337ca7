/* How criu is started on this host: which binary, and whether it needs
 * CRIU_FAULT=130 (hardware breakpoints that never fire, see ckpt/criu.h).
 * Decided in the caller, applied in the worker.
 *
 * $CORRAL_CRIU_FAULT, when set, decides CRIU_FAULT and the binary is only
 * located (check/criu_binary.h: $CORRAL_CRIU, $PATH, the usual places).
 * Otherwise `corral check`'s cached host facts (cr_host_criu_env) give both,
 * probing the host when the cache is stale. */
#include <stdlib.h>
#include <string.h>

#include "check/criu_binary.h"
#include "check/host_facts.h"
#include "ckpt/criu_internal.h"
#include "util/cleanup.h"

/* S as a CRIU_FAULT value 0..65535; NAME says where S came from. */
static int parse_fault(const char *s, const char *name, int *ret_fault, struct cr_error *err)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 65535)
		return cr_error_set(err, EINVAL, "%s=%s is not a number in 0..65535", name, s);
	*ret_fault = (int)v;
	return 0;
}

int cr_criu_service_get(struct cr_criu_service *ret, struct cr_error *err)
{
	const char *forced = getenv("CORRAL_CRIU_FAULT");
	int fault = -1;
	cleanup_free char *binary = NULL;
	int r;
	if (forced && *forced) {
		r = parse_fault(forced, "CORRAL_CRIU_FAULT", &fault, err);
		if (r < 0)
			return r;
		r = cr_criu_locate(&binary, err);
		if (r < 0)
			return r;
	} else {
		struct cr_criu_env env = {NULL, false};
		r = cr_host_criu_env(&env, err);
		if (r < 0)
			return cr_error_wrap(err, "finding out how to run criu here");
		binary = steal_pointer(&env.criu_path);
		bool needs = env.needs_fault;
		cr_criu_env_free(&env);
		if (needs) {
			r = parse_fault(CR_CRIU_FAULT_NO_BREAKPOINTS, CR_CRIU_FAULT_VAR, &fault, err);
			if (r < 0)
				return r;
		}
	}
	ret->binary = steal_pointer(&binary);
	ret->fault = fault;
	cr_criu_kdat_ensure(ret);
	return 0;
}

void cr_criu_service_free(struct cr_criu_service *s)
{
	free(s->binary);
	s->binary = NULL;
}
