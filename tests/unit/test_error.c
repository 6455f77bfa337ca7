/* The error idiom: codes, messages, wrapping, and no leaks (ASan checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/error.h"

static void set_returns_negative_code(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_error_set(&err, ENOENT, "no partition %s", "web"), -ENOENT);
	assert_string_equal(err.msg, "no partition web");
	assert_int_equal(err.code, ENOENT);
	cr_error_clear(&err);
	assert_null(err.msg);
}

static void zero_code_becomes_eio(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_error_set(&err, 0, "x"), -EIO);
	cr_error_clear(&err);
}

static void wrap_prefixes_context(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	cr_error_set(&err, EBUSY, "cgroup busy");
	assert_int_equal(cr_error_wrap(&err, "starting %s", "web"), -EBUSY);
	assert_string_equal(err.msg, "starting web: cgroup busy");
	cr_error_clear(&err);
}

static void errno_appends_strerror(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	errno = EACCES;
	assert_int_equal(cr_error_errno(&err, "open %s", "/x"), -EACCES);
	assert_string_equal(err.msg, "open /x: Permission denied");
	cr_error_clear(&err);
}

static void null_error_object_is_allowed(void **state)
{
	(void)state;
	assert_int_equal(cr_error_set(NULL, EINVAL, "ignored"), -EINVAL);
	assert_string_equal(cr_error_msg(NULL), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_returns_negative_code),
		cmocka_unit_test(zero_code_becomes_eio),
		cmocka_unit_test(wrap_prefixes_context),
		cmocka_unit_test(errno_appends_strerror),
		cmocka_unit_test(null_error_object_is_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
