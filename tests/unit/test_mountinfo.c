/* cr_mountinfo_unescape (util/mountinfo.h): the octal escapes the kernel
 * writes in /proc/self/mountinfo come back as the bytes they stand for;
 * anything that is not a whole escape stays as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/mountinfo.h"

/* Unescape a heap copy of IN (ASan sees any read past its end) and compare. */
static void unescapes_to(const char *in, const char *want)
{
	char *s = strdup(in);
	assert_non_null(s);
	cr_mountinfo_unescape(s);
	assert_string_equal(s, want);
	free(s);
}

static void escapes_become_their_bytes(void **state)
{
	(void)state;
	unescapes_to("/mnt/my\\040disk", "/mnt/my disk");
	unescapes_to("/a\\011b", "/a\tb");
	unescapes_to("/a\\012b", "/a\nb");
	unescapes_to("/a\\134b", "/a\\b");
	unescapes_to("\\040\\040", "  ");
	unescapes_to("/x\\377", "/x\377");
}

static void escaped_backslash_is_not_read_again(void **state)
{
	(void)state;
	/* \134 gives a backslash; the "040" after it is plain text. */
	unescapes_to("/a\\134040", "/a\\040");
}

static void partial_escapes_stay(void **state)
{
	(void)state;
	unescapes_to("\\", "\\");
	unescapes_to("/a\\", "/a\\");
	unescapes_to("/a\\0", "/a\\0");
	unescapes_to("/a\\04", "/a\\04");
	unescapes_to("/a\\b", "/a\\b");
	unescapes_to("/a\\400", "/a\\400"); /* past \377 */
	unescapes_to("/a\\080", "/a\\080"); /* 8 is no octal digit */
	unescapes_to("/a\\04x", "/a\\04x");
}

static void plain_strings_untouched(void **state)
{
	(void)state;
	unescapes_to("", "");
	unescapes_to("/", "/");
	unescapes_to("/wpars/web/usr", "/wpars/web/usr");
	unescapes_to("server:/export/home", "server:/export/home");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escapes_become_their_bytes),
		cmocka_unit_test(escaped_backslash_is_not_read_again),
		cmocka_unit_test(partial_escapes_stay),
		cmocka_unit_test(plain_strings_untouched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
