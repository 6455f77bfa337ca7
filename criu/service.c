/* How criu is started for a call: which binary, and whether it needs
 * CRIU_FAULT=130 (hardware breakpoints that never fire, see criu/criu.h).
 * Decided in the caller, applied in the worker.
 *
 * The caller gives it (from the host facts: check/host_facts.h). Without
 * one, $CORRAL_CRIU_FAULT decides CRIU_FAULT and the binary is only located
 * (criu/binary.c: $CORRAL_CRIU, $PATH, the usual places). */
#include <stdlib.h>
#include <string.h>

#include "criu/criu_internal.h"
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

int cr_criu_service_forced(struct cr_criu_service *ret, struct cr_error *err)
{
	const char *forced = getenv("CORRAL_CRIU_FAULT");
	if (!forced || !*forced)
		return 0;
	int fault = -1;
	int r = parse_fault(forced, "CORRAL_CRIU_FAULT", &fault, err);
	if (r < 0)
		return r;
	cleanup_free char *binary = NULL;
	r = cr_criu_locate(&binary, err);
	if (r < 0)
		return r;
	ret->binary = steal_pointer(&binary);
	ret->fault = fault;
	return 1;
}

int cr_criu_service_get(const struct cr_criu_service *given, struct cr_criu_service *ret,
			struct cr_error *err)
{
	if (!given) {
		int r = cr_criu_service_forced(ret, err);
		if (r == 0)
			return cr_error_set(err, EINVAL, "how to run criu on this host was not given");
		if (r < 0)
			return r;
	} else {
		char *binary = NULL;
		if (given->binary && !(binary = strdup(given->binary)))
			return cr_error_set(err, ENOMEM, "out of memory");
		ret->binary = binary;
		ret->fault = given->fault;
	}
	cr_criu_kdat_ensure(ret);
	return 0;
}

void cr_criu_service_free(struct cr_criu_service *s)
{
	free(s->binary);
	s->binary = NULL;
}
