/* The fault-point registry (util/fault.h): CORRAL_TEST_FAULT names one point
 * by name or number; anything else, or nothing, injects none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/fault.h"

static void test_names(void **state)
{
	(void)state;
	for (int f = CR_FAULT_NONE + 1; f < CR_FAULT_MAX; f++) {
		assert_true(strlen(cr_fault_name((enum cr_fault)f)) > 0);
		setenv(CR_TEST_FAULT_ENV, cr_fault_name((enum cr_fault)f), 1);
#ifdef CORRAL_FAULT_INJECTION
		assert_int_equal(cr_fault_active(), f);
		assert_true(cr_fault_injected((enum cr_fault)f));
#else
		assert_false(cr_fault_injected((enum cr_fault)f));
#endif
	}
	assert_string_equal(cr_fault_name(CR_FAULT_LOSE_COMMIT), "lose-commit");
	assert_string_equal(cr_fault_name(CR_FAULT_MAX), "");
	unsetenv(CR_TEST_FAULT_ENV);
}

static void test_one_point_only(void **state)
{
	(void)state;
	setenv(CR_TEST_FAULT_ENV, "lose-commit", 1);
	assert_false(cr_fault_injected(CR_FAULT_DROP_AFTER_RESTORE));
	assert_false(cr_fault_injected(CR_FAULT_NONE));
#ifdef CORRAL_FAULT_INJECTION
	setenv(CR_TEST_FAULT_ENV, "3", 1);
	assert_true(cr_fault_injected(CR_FAULT_LOSE_COMMIT));
#endif
	const char *none[] = {"", "bogus", "lose-commit ", "0", "99", "-1", "3x"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		setenv(CR_TEST_FAULT_ENV, none[i], 1);
		assert_int_equal(cr_fault_active(), CR_FAULT_NONE);
	}
	unsetenv(CR_TEST_FAULT_ENV);
	assert_int_equal(cr_fault_active(), CR_FAULT_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_one_point_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
