/* Fuzz the spec file parser with any bytes. Whatever parses must write back
 * and parse again to an equal configuration (the round-trip promise), and
 * every refusal is one short line. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error quotes input cut and escaped: one line, and short whatever the
 * input (a 1 MiB value must not come back whole). */
static void check_one_line(const struct cr_error *err)
{
	const char *m = cr_error_msg(err);
	if (strchr(m, '\n') || strchr(m, '\r') || strlen(m) > 2048)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_wpar_config a, b;
	if (cr_spec_parse((const char *)data, size, "fuzz", &a, &err) < 0) {
		check_one_line(&err);
		cr_error_clear(&err);
		return 0;
	}
	char *text = NULL;
	int r = cr_spec_write(&a, &text, &err);
	if (r == -EFBIG) { /* quoting can make the text grow past the size limit */
		cr_error_clear(&err);
		cr_config_free(&a);
		return 0;
	}
	if (r < 0)
		__builtin_trap(); /* a parsed configuration must be writable */
	if (cr_spec_parse(text, strlen(text), "fuzz-again", &b, &err) < 0)
		__builtin_trap();
	if (!cr_config_equal(&a, &b))
		__builtin_trap();
	if (cr_config_validate(&a, &err) < 0)
		check_one_line(&err);
	cr_error_clear(&err);
	free(text);
	cr_config_free(&a);
	cr_config_free(&b);
	return 0;
}
