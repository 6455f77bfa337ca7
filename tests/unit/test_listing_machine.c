/* lswpar's machine forms: delimited output (-c, -d, -a, -q) with its
 * escaping, JSON with its escaping and types, and the option parsers. */
#include "test_listing_fixture.h"

static void delimited_general_has_hash_header(void **state)
{
	(void)state;
	struct cr_wpar l[2];
	fx_wpar(&l[0], "a", CR_STATE_ACTIVE, CR_TYPE_SYSTEM);
	fx_wpar(&l[1], "b", CR_STATE_DEFINED, CR_TYPE_APPLICATION);
	l[1].config.checkpointable = true;
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_DELIMITED);
	char *out = fx_print(l, 2, &o);
	assert_string_equal(out,
		"#name:state:type:hostname:directory:owner:script:auto:privateusr:checkpointable\n"
		"a:A:S:a:/wpars/a:root::no:no:no\n"
		"b:D:A:b:/wpars/b:root::no:no:yes\n");
	free(out);
	fx_free(l, 2);
}

static void delimited_escapes_delimiter_backslash_newline(void **state)
{
	(void)state;
	struct cr_wpar w;
	fx_wpar(&w, "a", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	w.config.script = fx_dup("C:\\run\nme,now");
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_DELIMITED);
	assert_int_equal(cr_listing_parse_fields(&o, "name,Script", NULL), 0);
	char *out = fx_print(&w, 1, &o);
	assert_string_equal(out, "#name:script\na:C\\:\\\\run\\nme,now\n");
	free(out);
	o.delim = ',';
	o.no_header = true;
	out = fx_print(&w, 1, &o);
	assert_string_equal(out, "a,C:\\\\run\\nme\\,now\n");
	free(out);
	fx_free(&w, 1);
}

static void delimited_mounts_and_resources(void **state)
{
	(void)state;
	struct cr_wpar w;
	fx_wpar(&w, "a", CR_STATE_ACTIVE, CR_TYPE_SYSTEM);
	fx_mount(&w, "/home", "nfs", "/export/home", "nfs1", "bg,intr");
	w.config.resources.cpu_shares = 30;
	struct cr_listing_opts o = fx_opts(CR_LIST_MOUNTS, CR_FORMAT_DELIMITED);
	assert_int_equal(cr_listing_parse_fields(&o, "name,mountpoint,dev,vfs,nodename,mountopts", NULL), 0);
	char *out = fx_print(&w, 1, &o);
	fx_assert_line(out, "#name:mountpoint:device:vfs:nodename:options");
	fx_assert_line(out, "a:/wpars/a/home:/export/home:nfs:nfs1:bg,intr");
	fx_assert_line(out, "a:/wpars/a/usr:/usr:namefs::ro");
	free(out);
	cr_listing_opts_init(&o);
	o.format = CR_FORMAT_DELIMITED;
	o.section = CR_LIST_RESOURCES;
	out = fx_print(&w, 1, &o);
	assert_string_equal(out,
		"#name:state:active:rset:shares_CPU:CPU:shares_memory:memory:memoryLimit:"
		"procVirtMem:totalProcesses:totalThreads\n"
		"a:A:yes::30:0%-100%,100%:unlimited:0%-100%,100%:unlimited:unlimited:unlimited:unlimited\n");
	free(out);
	fx_free(&w, 1);
}

static void byte_sizes_take_a_suffix_only_when_exact(void **state)
{
	(void)state;
	struct cr_wpar l[3];
	fx_wpar(&l[0], "a", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	l[0].config.resources.memory_limit = 1000;
	l[0].config.resources.proc_virt_mem = 1536LL << 20;
	fx_wpar(&l[1], "b", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	l[1].config.resources.memory_limit = 3LL << 50;
	l[1].config.resources.proc_virt_mem = 0;
	fx_wpar(&l[2], "c", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	l[2].config.resources.memory_limit = 4LL << 60; /* beyond P: stays in P */
	struct cr_listing_opts o = fx_opts(CR_LIST_RESOURCES, CR_FORMAT_DELIMITED);
	o.no_header = true;
	assert_int_equal(cr_listing_parse_fields(&o, "name,memoryLimit,procVirtMem", NULL), 0);
	char *out = fx_print(l, 3, &o);
	assert_string_equal(out, "a:1000:1536M\nb:3P:0\nc:4096P:unlimited\n");
	free(out);
	fx_free(l, 3);
}

static void long_form_is_not_delimited(void **state)
{
	(void)state;
	struct cr_wpar w;
	fx_wpar(&w, "a", CR_STATE_ACTIVE, CR_TYPE_SYSTEM);
	struct cr_listing_opts o = fx_opts(CR_LIST_LONG, CR_FORMAT_DELIMITED);
	int r;
	char *out = fx_print_r(&w, 1, &o, &r);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(out, "");
	free(out);
	fx_free(&w, 1);
}

static void field_names_are_checked(void **state)
{
	(void)state;
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_TEXT);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_listing_parse_fields(&o, "name,colour", &err), -EINVAL);
	assert_string_equal(err.msg, "unknown field 'colour' in -a");
	assert_int_equal(cr_listing_parse_fields(&o, "name,,state", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "empty field name"));
	/* A field of another section is unknown here. */
	assert_int_equal(cr_listing_parse_fields(&o, "mountpoint", &err), -EINVAL);
	o.section = CR_LIST_RESOURCES;
	assert_int_equal(cr_listing_parse_fields(&o, "SHARES_cpu,totalthreads", &err), 0);
	assert_int_equal(o.n_fields, 2);
	o.section = CR_LIST_NETWORK;
	assert_int_equal(cr_listing_parse_fields(&o, "interface,mask,broadcast", &err), 0);
	assert_int_equal(o.n_fields, 3);
	o.section = CR_LIST_LONG;
	assert_int_equal(cr_listing_parse_fields(&o, "name", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "-L"));
	cr_error_clear(&err);
}

static void state_and_type_letters_are_checked(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_listing_parse_states("DLAFPTB", &err), 0);
	assert_int_equal(cr_listing_parse_states("AX", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "invalid state 'X'"));
	assert_int_equal(cr_listing_parse_states("", &err), -EINVAL);
	unsigned t = 0;
	assert_int_equal(cr_listing_parse_types("SAC", &t, &err), 0);
	assert_int_equal(t, CR_LIST_TYPE_S | CR_LIST_TYPE_A | CR_LIST_TYPE_C);
	t = 0;
	assert_int_equal(cr_listing_parse_types("Sx", &t, &err), -EINVAL);
	assert_int_equal(t, 0);
	assert_non_null(strstr(err.msg, "invalid type 'x'"));
	cr_error_clear(&err);
}

static void json_has_types_and_nulls(void **state)
{
	(void)state;
	struct cr_wpar l[2];
	fx_wpar(&l[0], "a", CR_STATE_ACTIVE, CR_TYPE_SYSTEM);
	l[0].config.checkpointable = true;
	l[0].config.resources.total_processes = 64;
	l[0].config.resources.memory_limit = 1 << 20;
	l[0].state.init_pid = 321;
	l[0].state.start_time = 1700000000;
	fx_wpar(&l[1], "b", CR_STATE_DEFINED, CR_TYPE_APPLICATION);
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_JSON);
	char *out = fx_print(l, 2, &o);
	const char *head = "[\n{\"name\":\"a\",\"state\":\"A\",\"stateName\":\"Active\",\"type\":\"S\",";
	assert_memory_equal(out, head, strlen(head));
	static const char *const frags[] = {
		"\"checkpointable\":true", "\"auto\":false", "\"script\":null",
		"\"totalProcesses\":64", "\"totalThreads\":null", "\"memoryLimit\":1048576",
		"\"CPU\":\"0%-100%,100%\"", "\"pid\":321", "\"startTime\":1700000000",
		"\"brokenReason\":null", "\"privs\":null", "\"operation\":\"none\"",
		"{\"mountpoint\":\"/wpars/a/opt\",\"device\":\"/opt\",\"vfs\":\"namefs\",\"nodename\":\"\",\"options\":\"ro\"}",
		"\"devices\":[{\"devname\":\"/dev/null\",\"devtype\":\"pseudo\"}",
		"\"network\":[]", "\"mounts\":[]", "\"pid\":null",
	};
	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++)
		if (!strstr(out, frags[i]))
			fail_msg("no %s in %s", frags[i], out);
	assert_string_equal(out + strlen(out) - 5, "]}\n]\n");
	free(out);
	o.states = "F";
	out = fx_print(l, 2, &o);
	assert_string_equal(out, "[]\n");
	free(out);
	fx_free(l, 2);
}

static void json_escapes_strings(void **state)
{
	(void)state;
	struct cr_wpar w;
	fx_wpar(&w, "a", CR_STATE_BROKEN, CR_TYPE_SYSTEM);
	w.state.broken_reason = fx_dup("say \"no\"\\\n\t\x01 caf\xc3\xa9 bad\xff\xc3");
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_JSON);
	char *out = fx_print(&w, 1, &o);
	const char *want = "\"brokenReason\":\"say \\\"no\\\"\\\\\\n\\t\\u0001 caf\xc3\xa9 bad\\ufffd\\ufffd\"";
	if (!strstr(out, want))
		fail_msg("no %s in %s", want, out);
	free(out);
	fx_free(&w, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delimited_general_has_hash_header),
		cmocka_unit_test(delimited_escapes_delimiter_backslash_newline),
		cmocka_unit_test(delimited_mounts_and_resources),
		cmocka_unit_test(byte_sizes_take_a_suffix_only_when_exact),
		cmocka_unit_test(long_form_is_not_delimited),
		cmocka_unit_test(field_names_are_checked),
		cmocka_unit_test(state_and_type_letters_are_checked),
		cmocka_unit_test(json_has_types_and_nulls),
		cmocka_unit_test(json_escapes_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
