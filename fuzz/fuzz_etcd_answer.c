/* The etcd gateway's answers, as a store (or whatever answers on its port)
 * may send them: JSON parsing, int64-as-string fields, base64 keys and
 * values, kvs arrays; and a watch stream's line (events, cancellations). */
#include <stddef.h>
#include <stdint.h>

#include "fleet/etcd_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_error err = CR_ERROR_INIT;
	json_object *answer = NULL;
	if (cr_etcd_parse_answer((const char *)data, size, &answer, &err) == 0) {
		struct cr_etcd_kvs kvs = {NULL, 0, 0};
		if (cr_etcd_parse_kvs(answer, &kvs, &err) == 0)
			cr_etcd_kvs_clear(&kvs);
		int64_t v = 0;
		(void)cr_etcd_int64(answer, "deleted", &v, &err);
		json_object_put(answer);
	}
	cr_error_clear(&err);
	const char *const followed[] = {"/corral/fleets/f/tasks/"};
	int64_t rev = 0;
	(void)cr_etcd_watch_line((const char *)data, size, followed, 1, &rev, &err);
	cr_error_clear(&err);
	return 0;
}
