/* The small parsers and writers behind `corral check`: criu --version output,
 * /proc/filesystems, the JSON writer, and the probe table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "criu/criu.h"
#include "check/host_facts.h"
#include "check/proc_text.h"
#include "util/json_writer.h"

static void criu_versions_parse(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_version v;
	assert_int_equal(cr_criu_parse_version("Version: 4.1.1\nGitID: v4.1.1\n", &v, &err), 0);
	assert_int_equal(v.major, 4);
	assert_int_equal(v.minor, 1);
	assert_int_equal(v.sublevel, 1);
	assert_true(cr_criu_version_ok(&v));

	assert_int_equal(cr_criu_parse_version("Warning: x\n  Version: 4.1\n", &v, &err), 0);
	assert_int_equal(v.sublevel, 0);
	assert_true(cr_criu_version_ok(&v));

	assert_int_equal(cr_criu_parse_version("Version: 3.17.1\n", &v, &err), 0);
	assert_false(cr_criu_version_ok(&v));

	const char *bad[] = {"", "criu: command not found\n", "Version: x.1\n", "Version: 4\n",
			     "Version: 99999999999999999999.1\n", "version: 4.1\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cr_criu_parse_version(bad[i], &v, &err), -EINVAL);
	cr_error_clear(&err);
}

static void criu_minimum_is_4_1(void **state)
{
	(void)state;
	struct cr_criu_version v40 = {4, 0, 9}, v41 = {4, 1, 0}, v50 = {5, 0, 0}, v3 = {3, 99, 0};
	assert_false(cr_criu_version_ok(&v40));
	assert_true(cr_criu_version_ok(&v41));
	assert_true(cr_criu_version_ok(&v50));
	assert_false(cr_criu_version_ok(&v3));
}

static void filesystems_match_whole_names(void **state)
{
	(void)state;
	const char *text = "nodev\tsysfs\nnodev\tcgroup2\n\text4\nfuseblk\nnodev\tfuse\n"
			   "nodev\tnfsd\nnodev\tnfs4";
	assert_true(cr_filesystems_has(text, "ext4"));
	assert_true(cr_filesystems_has(text, "fuse"));
	assert_true(cr_filesystems_has(text, "nfs4")); /* last line without newline */
	assert_false(cr_filesystems_has(text, "nfs")); /* nfsd is the server */
	assert_false(cr_filesystems_has(text, "cgroup"));
	assert_false(cr_filesystems_has(text, "nodev"));
	assert_false(cr_filesystems_has("", "ext4"));
	assert_false(cr_filesystems_has(text, ""));
}

static void first_line_is_trimmed(void **state)
{
	(void)state;
	char *s = cr_first_line("  ab1f-08e \nsecond\n");
	assert_string_equal(s, "ab1f-08e");
	free(s);
	s = cr_first_line("");
	assert_string_equal(s, "");
	free(s);
}

static void json_start(struct cr_json *j)
{
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_json_init(j, &err), 0);
}

static char *json_of_string(const char *value)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_json j;
	char *text = NULL;
	json_start(&j);
	cr_json_string(&j, NULL, value);
	assert_int_equal(cr_json_finish(&j, &text, &err), 0);
	return text;
}

static void json_strings_are_escaped(void **state)
{
	(void)state;
	struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "\"plain\"\n"},
		{"q\"b\\s/", "\"q\\\"b\\\\s/\"\n"},
		{"a\nb\tc\rd\001e\x7f", "\"a\\nb\\tc\\rd\\u0001e\\u007f\"\n"},
		{"caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"\n"}, /* valid UTF-8 kept */
		{"bad\xff\xc3(", "\"bad\\ufffd\\ufffd(\"\n"},                  /* invalid replaced */
		{"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"\n"},                /* a surrogate */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = json_of_string(cases[i].in);
		assert_string_equal(text, cases[i].out);
		free(text);
	}
	char *text = json_of_string(NULL);
	assert_string_equal(text, "null\n");
	free(text);
}

static void json_nesting_and_commas(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_json j;
	char *text = NULL;
	json_start(&j);
	cr_json_begin_object(&j, NULL);
	cr_json_bool(&j, "ready", true);
	cr_json_begin_array(&j, "reasons");
	cr_json_end_array(&j);
	cr_json_begin_array(&j, "list");
	cr_json_int(&j, NULL, -5);
	cr_json_string(&j, NULL, "x");
	cr_json_end_array(&j);
	cr_json_begin_object(&j, "o");
	cr_json_bool(&j, "f", false);
	cr_json_end_object(&j);
	cr_json_end_object(&j);
	assert_int_equal(cr_json_finish(&j, &text, &err), 0);
	assert_string_equal(text, "{\n  \"ready\": true,\n  \"reasons\": [],\n  \"list\": [\n    -5,\n"
				  "    \"x\"\n  ],\n  \"o\": {\n    \"f\": false\n  }\n}\n");
	free(text);
}

static void json_unbalanced_is_an_error(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_json j;
	char *text = NULL;
	json_start(&j);
	cr_json_begin_object(&j, NULL);
	assert_int_equal(cr_json_finish(&j, &text, &err), -EINVAL);
	assert_null(text);
	json_start(&j);
	cr_json_end_array(&j);
	assert_int_equal(cr_json_finish(&j, &text, &err), -EINVAL);
	json_start(&j);
	for (int i = 0; i <= CR_JSON_MAX_DEPTH; i++)
		cr_json_begin_array(&j, NULL);
	assert_int_equal(cr_json_finish(&j, &text, &err), -EINVAL);
	cr_error_clear(&err);
}

static void probe_table_is_complete(void **state)
{
	(void)state;
	for (int i = 0; i < CR_PROBE_COUNT; i++) {
		assert_non_null(cr_probe_name(i));
		assert_int_equal(cr_probe_from_name(cr_probe_name(i)), i);
		assert_true(strlen(cr_probe_meaning(i, CR_PROBE_OK)) > 10);
		assert_true(strlen(cr_probe_meaning(i, CR_PROBE_MISSING)) > 10);
	}
	assert_int_equal(cr_probe_from_name("no-such-probe"), -1);
	assert_string_equal(cr_probe_name(CR_PROBE_SOFT_DIRTY), "soft-dirty");
	assert_string_equal(cr_probe_meaning(CR_PROBE_SOFT_DIRTY, CR_PROBE_MISSING),
			    "iterative pre-dump is unavailable: checkpoints freeze for the whole dump");
}

static void readiness_needs_criu_namespaces_and_freezer(void **state)
{
	(void)state;
	struct cr_host_facts f;
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		f.probes[i].status = CR_PROBE_OK;
	assert_true(cr_host_facts_ready(&f));
	enum cr_probe_id optional[] = {CR_PROBE_HW_BREAKPOINTS, CR_PROBE_SOFT_DIRTY,
				       CR_PROBE_NFS_CLIENT, CR_PROBE_NS_TIME, CR_PROBE_TCP_REPAIR};
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		f.probes[optional[i]].status = CR_PROBE_MISSING;
	assert_true(cr_host_facts_ready(&f));
	enum cr_probe_id needed[] = {CR_PROBE_CRIU,   CR_PROBE_CRIU_CHECK, CR_PROBE_NS_PID,
				     CR_PROBE_NS_MNT, CR_PROBE_NS_NET,     CR_PROBE_NS_UTS,
				     CR_PROBE_NS_IPC, CR_PROBE_FREEZER};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		f.probes[needed[i]].status = CR_PROBE_SKIPPED;
		assert_false(cr_host_facts_ready(&f));
		f.probes[needed[i]].status = CR_PROBE_OK;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(criu_versions_parse),
		cmocka_unit_test(criu_minimum_is_4_1),
		cmocka_unit_test(filesystems_match_whole_names),
		cmocka_unit_test(first_line_is_trimmed),
		cmocka_unit_test(json_strings_are_escaped),
		cmocka_unit_test(json_nesting_and_commas),
		cmocka_unit_test(json_unbalanced_is_an_error),
		cmocka_unit_test(probe_table_is_complete),
		cmocka_unit_test(readiness_needs_criu_namespaces_and_freezer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
