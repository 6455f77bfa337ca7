/* Cron schedule text as the store holds it (fleet/cron.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct cr_error err = CR_ERROR_INIT;
	struct cr_cron c;
	if (cr_cron_parse(text, &c, &err) == 0) {
		time_t next;
		(void)cr_cron_next(&c, 1700000000, &next, &err);
	}
	cr_error_clear(&err);
	free(text);
	return 0;
}
