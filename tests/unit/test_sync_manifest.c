/* syncwpar's manifest: the hash, parse/format round trips, every rejection
 * of the parser, and set/find replacing entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition/sync.h"

static void fnv_known_values(void **state)
{
	(void)state;
	assert_true(cr_sync_hash(CR_SYNC_HASH_INIT, "", 0) == UINT64_C(0xcbf29ce484222325));
	assert_true(cr_sync_hash(CR_SYNC_HASH_INIT, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
	/* Hashing in pieces gives the hash of the whole. */
	uint64_t h = cr_sync_hash(CR_SYNC_HASH_INIT, "foo", 3);
	assert_true(cr_sync_hash(h, "bar", 3) == cr_sync_hash(CR_SYNC_HASH_INIT, "foobar", 6));
	assert_true(cr_sync_hash(CR_SYNC_HASH_INIT, "foobar", 6) != cr_sync_hash(CR_SYNC_HASH_INIT, "foobaz", 6));
}

static void round_trip(void **state)
{
	(void)state;
	const char text[] = "# comment\n"
			    "f 0123456789abcdef etc/passwd\n"
			    "\n"
			    "l ffffffffffffffff etc/alternatives/awk with space\n";
	struct cr_sync_manifest m;
	assert_int_equal(cr_sync_manifest_parse(text, strlen(text), &m, NULL), 0);
	assert_int_equal(m.n, 2);
	struct cr_sync_entry *e = cr_sync_manifest_find(&m, "etc/alternatives/awk with space");
	assert_non_null(e);
	assert_int_equal(e->kind, 'l');
	assert_true(e->hash == UINT64_MAX);
	assert_false(e->seen);
	assert_null(cr_sync_manifest_find(&m, "etc/group"));
	char *out = NULL;
	assert_int_equal(cr_sync_manifest_format(&m, &out, NULL), 0);
	struct cr_sync_manifest again;
	assert_int_equal(cr_sync_manifest_parse(out, strlen(out), &again, NULL), 0);
	assert_int_equal(again.n, 2);
	assert_string_equal(again.entries[0].path, "etc/passwd");
	assert_true(again.entries[0].hash == UINT64_C(0x0123456789abcdef));
	assert_non_null(strstr(out, "f 0123456789abcdef etc/passwd\n"));
	free(out);
	cr_sync_manifest_free(&again);
	cr_sync_manifest_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(m.entries);
}

static void rejected(const char *text, size_t len, const char *msg)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_sync_manifest m = {NULL, 0};
	assert_int_equal(cr_sync_manifest_parse(text, len, &m, &err), -EINVAL);
	assert_string_equal(cr_error_msg(&err), msg);
	assert_int_equal(m.n, 0);
	cr_error_clear(&err);
}

static void rejections(void **state)
{
	(void)state;
	rejected("x 0123456789abcdef etc/a\n", 25, "sync manifest line 1 is malformed");
	rejected("f 0123456789abcde etc/a\n", 24, "sync manifest line 1 is malformed");
	rejected("f 0123456789abcdefg etc/a\n", 26, "sync manifest line 1 is malformed");
	rejected("f 0123456789abcdef \n", 20, "sync manifest line 1 is malformed");
	rejected("f 0123456789abcdef\n", 19, "sync manifest line 1 is malformed");
	rejected("#\nf  123456789abcdef etc/a\n", 27, "sync manifest line 2 is malformed");
	rejected("f 0123456789abcdef etc/a\nl 0000000000000000 etc/a\n", 50,
		 "sync manifest line 2: etc/a listed twice");
	rejected("f 0123456789abcdef e\0c/a\n", 25, "sync manifest holds a NUL byte");
}

static void set_replaces(void **state)
{
	(void)state;
	struct cr_sync_manifest m = {NULL, 0};
	assert_int_equal(cr_sync_manifest_set(&m, "etc/a", 'f', 1, NULL), 0);
	assert_int_equal(cr_sync_manifest_set(&m, "etc/b", 'l', 2, NULL), 0);
	assert_int_equal(cr_sync_manifest_set(&m, "etc/a", 'l', 3, NULL), 0);
	assert_int_equal(m.n, 2);
	struct cr_sync_entry *e = cr_sync_manifest_find(&m, "etc/a");
	assert_int_equal(e->kind, 'l');
	assert_true(e->hash == 3);
	assert_true(e->seen);
	cr_sync_manifest_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fnv_known_values),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(rejections),
		cmocka_unit_test(set_replaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
