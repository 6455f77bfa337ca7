/* The etcd client's reading of gateway answers: what it accepts (int64 as
 * strings or numbers, fields left out at their defaults, base64 keys and
 * values) and each thing it refuses, with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fleet/etcd_internal.h"
#include "util/cleanup.h"

static int parse(const char *text, struct cr_etcd_kvs *kvs, struct cr_error *err)
{
	json_object *answer = NULL;
	int r = cr_etcd_parse_answer(text, strlen(text), &answer, err);
	if (r == 0) {
		r = cr_etcd_parse_kvs(answer, kvs, err);
		json_object_put(answer);
	}
	return r;
}

static void a_range_answer_is_read(void **state)
{
	(void)state;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {0};
	/* key "/a", value "v\n", lease as a number */
	assert_int_equal(parse("{\"header\":{\"revision\":\"12\"},\"kvs\":[{\"key\":\"L2E=\","
			       "\"value\":\"dgo=\",\"mod_revision\":\"11\",\"create_revision\":\"3\","
			       "\"version\":\"4\",\"lease\":99}]}",
			       &kvs, &err),
			 0);
	assert_int_equal(kvs.revision, 12);
	assert_int_equal(kvs.n, 1);
	assert_string_equal(kvs.kv[0].key, "/a");
	assert_string_equal(kvs.kv[0].value, "v\n");
	assert_int_equal(kvs.kv[0].value_len, 2);
	assert_int_equal(kvs.kv[0].mod_revision, 11);
	assert_int_equal(kvs.kv[0].create_revision, 3);
	assert_int_equal(kvs.kv[0].version, 4);
	assert_int_equal(kvs.kv[0].lease, 99);
}

static void defaults_left_out_are_zero(void **state)
{
	(void)state;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	cleanup_etcd_kvs struct cr_etcd_kvs none = {0}, empty_value = {0};
	assert_int_equal(parse("{\"header\":{}}", &none, &err), 0);
	assert_int_equal(none.n, 0);
	assert_int_equal(none.revision, 0);
	assert_int_equal(parse("{\"kvs\":[{\"key\":\"YQ==\"}]}", &empty_value, &err), 0);
	assert_string_equal(empty_value.kv[0].value, "");
	assert_int_equal(empty_value.kv[0].value_len, 0);
}

static void refusals_say_what(void **state)
{
	(void)state;
	static const struct {
		const char *text, *says;
	} bad[] = {
		{"", "not JSON"},
		{"{\"kvs\":[]", "not JSON"},
		{"{} {}", "not one JSON object"},
		{"[1,2]", "not one JSON object"},
		{"{\"kvs\":{}}", "kvs is not an array"},
		{"{\"kvs\":[3]}", "not an object"},
		{"{\"header\":{\"revision\":\"12x\"}}", "revision is not an integer"},
		{"{\"header\":{\"revision\":[]}}", "revision is not a number"},
		{"{\"kvs\":[{\"key\":\"@@@\"}]}", "key"},
		{"{\"kvs\":[{\"key\":\"YQBi\"}]}", "NUL"},
		{"{\"kvs\":[{\"key\":\"YQ==\",\"value\":5}]}", "value is not a string"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cleanup_error struct cr_error err = CR_ERROR_INIT;
		struct cr_etcd_kvs kvs = {0};
		if (parse(bad[i].text, &kvs, &err) == 0)
			fail_msg("accepted: %s", bad[i].text);
		if (!strstr(cr_error_msg(&err), bad[i].says))
			fail_msg("'%s' gave '%s', expected '%s'", bad[i].text, cr_error_msg(&err), bad[i].says);
		assert_int_equal(kvs.n, 0);
	}
}

/* Watch stream lines: the highest revision among the followed keys' events
 * (a put and a delete), nothing for other keys or the "created" line, a
 * restart for a cancelled or compacted watch, a refusal for a bad line. */
static void watch_lines_name_followed_changes(void **state)
{
	(void)state;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	const char *const followed[] = {"/f/tasks/", "/f/evacuations/"};
	int64_t rev = 5;
	const char *created = "{\"result\":{\"header\":{\"revision\":\"9\"},\"created\":true}}";
	assert_int_equal(cr_etcd_watch_line(created, strlen(created), followed, 2, &rev, &err), 0);
	assert_int_equal(rev, 5);
	/* "/f/alive/a" changed at 10: not followed */
	const char *alive = "{\"result\":{\"events\":[{\"kv\":{\"key\":\"L2YvYWxpdmUvYQ==\",\"mod_revision\":\"10\"}}]}}";
	assert_int_equal(cr_etcd_watch_line(alive, strlen(alive), followed, 2, &rev, &err), 0);
	assert_int_equal(rev, 5);
	/* "/f/tasks/a/s1" put at 11, "/f/evacuations/a" deleted at 12 */
	const char *both = "{\"result\":{\"events\":[{\"kv\":{\"key\":\"L2YvdGFza3MvYS9zMQ==\",\"mod_revision\":\"11\","
			   "\"value\":\"e30=\"}},{\"type\":\"DELETE\",\"kv\":{\"key\":\"L2YvZXZhY3VhdGlvbnMvYQ==\","
			   "\"mod_revision\":\"12\"}}]}}";
	assert_int_equal(cr_etcd_watch_line(both, strlen(both), followed, 2, &rev, &err), 0);
	assert_int_equal(rev, 12);
	const char *compacted = "{\"result\":{\"compact_revision\":\"40\",\"canceled\":true}}";
	assert_int_equal(cr_etcd_watch_line(compacted, strlen(compacted), followed, 2, &rev, &err), 1);
	const char *error = "{\"error\":{\"grpc_code\":14,\"message\":\"unavailable\"}}";
	assert_int_equal(cr_etcd_watch_line(error, strlen(error), followed, 2, &rev, &err), 1);
	const char *bad[] = {"{\"result\":", "{\"result\":3}", "{\"result\":{\"events\":{}}}",
			     "{\"result\":{\"events\":[{}]}}", "{\"result\":{\"events\":[{\"kv\":{\"key\":7}}]}}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_error_clear(&err);
		assert_true(cr_etcd_watch_line(bad[i], strlen(bad[i]), followed, 2, &rev, &err) < 0);
		assert_non_null(strstr(cr_error_msg(&err), "store"));
	}
	assert_int_equal(rev, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_range_answer_is_read),
		cmocka_unit_test(defaults_left_out_are_zero),
		cmocka_unit_test(refusals_say_what),
		cmocka_unit_test(watch_lines_name_followed_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
