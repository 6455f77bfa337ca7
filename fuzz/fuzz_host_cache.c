/* Fuzz the host facts cache parser with any bytes. Whatever parses must
 * format and parse again to the same text (the round-trip promise). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/host_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *reformat(const char *text)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_host_key k;
	struct cr_host_facts f;
	char *out = NULL;
	if (cr_host_cache_parse(text, &k, &f, &err) < 0) {
		cr_error_clear(&err);
		return NULL;
	}
	if (cr_host_cache_format(&k, &f, &out, &err) < 0)
		__builtin_trap(); /* parsed facts must be writable */
	cr_host_key_free(&k);
	cr_host_facts_free(&f);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *once = reformat(text);
	free(text);
	if (!once)
		return 0;
	char *twice = reformat(once);
	if (!twice || strcmp(once, twice) != 0)
		__builtin_trap();
	free(once);
	free(twice);
	return 0;
}
