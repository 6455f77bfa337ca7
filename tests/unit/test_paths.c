/* The one helper that joins a name to a directory (util/paths.h): every
 * name that could leave the directory is refused, the others are joined;
 * and the escaping of user input in error messages (util/escape.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"
#include "util/paths.h"

static void join_refuses_escapes(void **state)
{
	(void)state;
	const char *bad[] = {"", ".", "..", "a/b", "/", "../etc", "x/..", "a\nb", "a\tb", "\x7f"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cr_error err = CR_ERROR_INIT;
		char *path = (char *)"untouched";
		assert_int_equal(cr_path_join(&path, "/var/lib/corral", bad[i], "", &err), -EINVAL);
		assert_string_equal(path, "untouched");
		assert_non_null(err.msg);
		assert_null(strchr(err.msg, '\n'));
		cr_error_clear(&err);
	}
	struct cr_error err = CR_ERROR_INIT;
	char *path = NULL;
	assert_int_equal(cr_path_join(&path, "/var/lib/corral", NULL, "", &err), -EINVAL);
	assert_string_equal(err.msg, "'' cannot be used as a file name: it is empty");
	cr_error_clear(&err);
	assert_int_equal(cr_path_join(&path, "/d", "..", ".spec", &err), -EINVAL);
	assert_string_equal(err.msg, "'..' cannot be used as a file name: '.' and '..' name "
				     "directories that already exist");
	cr_error_clear(&err);
	assert_int_equal(cr_path_join(&path, "/d", "a\nb", NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "'a\\nb' cannot be used as a file name: it holds a NUL, "
				     "newline or other control byte");
	cr_error_clear(&err);
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(cr_path_join(&path, "/d", long_name, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "longer than 255 bytes"));
	cr_error_clear(&err);
	/* A NUL inside the bytes given is refused too. */
	assert_int_equal(cr_path_component_check("a\0b", 3, &err), -EINVAL);
	cr_error_clear(&err);
}

static void join_accepts_names(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *path = NULL;
	assert_int_equal(cr_path_join(&path, "/etc/wpars", "web", ".spec", &err), 0);
	assert_string_equal(path, "/etc/wpars/web.spec");
	free(path);
	assert_int_equal(cr_path_join(&path, "/x", "...", NULL, &err), 0);
	assert_string_equal(path, "/x/...");
	free(path);
	assert_int_equal(cr_path_join(&path, "/x", ".hidden", "/state", &err), 0);
	assert_string_equal(path, "/x/.hidden/state");
	free(path);
	setenv("CORRAL_ROOT", "/tmp/root", 1);
	assert_int_equal(cr_path_name(&path, CR_STATE_DIR, "web", "/state", &err), 0);
	assert_string_equal(path, "/tmp/root/var/lib/corral/web/state");
	free(path);
	path = NULL;
	assert_int_equal(cr_path_name(&path, CR_STATE_DIR, "..", "", &err), -EINVAL);
	assert_null(path);
	cr_error_clear(&err);
	assert_int_equal(cr_path_name(&path, CR_SPEC_DIR, ".", ".spec", &err), -EINVAL);
	assert_null(path);
	cr_error_clear(&err);
}

static void shown_escapes_and_cuts(void **state)
{
	(void)state;
	char buf[CR_SHOWN_SIZE];
	assert_string_equal(cr_shown("web", buf), "web");
	assert_string_equal(cr_shown(NULL, buf), "");
	assert_string_equal(cr_shown("a\nb\tc\\d\r", buf), "a\\nb\\tc\\\\d\\r");
	assert_string_equal(cr_shown("\x01\x7f\xc3\xa9", buf), "\\x01\\x7f\\xc3\\xa9");
	assert_string_equal(cr_shown_n("a\0b", 3, buf), "a\\x00b");
	char big[100 * 1024 + 1];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_shown(big, buf);
	assert_int_equal(strlen(buf), CR_SHOWN_MAX + 3);
	assert_string_equal(buf + CR_SHOWN_MAX, "...");
	/* The worst case fills the buffer exactly. */
	char ctl[CR_SHOWN_MAX + 10];
	memset(ctl, 1, sizeof(ctl));
	cr_shown_n(ctl, sizeof(ctl), buf);
	assert_int_equal(strlen(buf), CR_SHOWN_SIZE - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(join_refuses_escapes),
		cmocka_unit_test(join_accepts_names),
		cmocka_unit_test(shown_escapes_and_cuts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
