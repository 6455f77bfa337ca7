/* How criu is started on this host: which binary, and whether it needs
 * CRIU_FAULT=130 (hardware breakpoints that never fire, see
 * docs in ckpt/criu.h). Decided in the caller, applied in the worker. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/criu_internal.h"

/* $CORRAL_CRIU_FAULT as a number 0..65535: 1 and *RET_FAULT when set, 0
 * when unset. */
static int fault_from_env(int *ret_fault, struct cr_error *err)
{
	const char *s = getenv("CORRAL_CRIU_FAULT");
	if (!s || !*s)
		return 0;
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return cr_error_set(err, EINVAL, "CORRAL_CRIU_FAULT=%s is not a number in 0..65535",
				    s);
	*ret_fault = (int)v;
	return 1;
}

int cr_criu_service_get(struct cr_criu_service *ret, struct cr_error *err)
{
	struct cr_criu_service s = {NULL, -1};
	int r = fault_from_env(&s.fault, err);
	if (r < 0)
		return r;
	const char *bin = getenv("CORRAL_CRIU");
	if (bin && *bin) {
		s.binary = strdup(bin);
		if (!s.binary)
			return cr_error_set(err, ENOMEM, "out of memory");
	}
	*ret = s;
	return 0;
}

void cr_criu_service_free(struct cr_criu_service *s)
{
	free(s->binary);
	s->binary = NULL;
}
