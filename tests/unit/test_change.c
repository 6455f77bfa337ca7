/* chwpar's engine without partitions: which attribute groups a change
 * touches, which of them each state allows (with the exact refusal), and
 * that a change refused by validation leaves a defined partition's spec
 * file untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "partition/change.h"
#include "partition/registry.h"
#include "partition/state.h"
#include "spec/attrs.h"
#include "util/fsutil.h"

static void base(struct cr_wpar_config *c)
{
	cr_config_init(c);
	assert_int_equal(cr_attr_set(c, CR_STANZA_GENERAL, "name", "web", NULL), 0);
	assert_int_equal(cr_config_complete(c, NULL), 0);
}

static unsigned diff_after(const char *stanza, const char *word)
{
	struct cr_wpar_config a, b;
	base(&a);
	cr_config_init(&b);
	assert_int_equal(cr_config_copy(&b, &a, NULL), 0);
	char *words[] = {(char *)word};
	assert_int_equal(cr_attrs_apply(&b, stanza, words, 1, NULL), 0);
	unsigned mask = cr_change_diff(&a, &b);
	cr_config_free(&a);
	cr_config_free(&b);
	return mask;
}

static void diff_groups(void **state)
{
	(void)state;
	struct cr_wpar_config a;
	base(&a);
	assert_int_equal(cr_change_diff(&a, &a), 0);
	cr_config_free(&a);
	assert_int_equal(diff_after("general", "hostname=h1"), CR_CHANGE_HOSTNAME);
	assert_int_equal(diff_after("general", "name=shop"), CR_CHANGE_NAME);
	assert_int_equal(diff_after("general", "directory=/srv/w"), CR_CHANGE_DIRECTORY);
	assert_int_equal(diff_after("general", "auto=yes"), CR_CHANGE_OTHER);
	assert_int_equal(diff_after("general", "checkpointable=yes"), CR_CHANGE_CHECKPOINTABLE);
	assert_int_equal(diff_after("resources", "totalProcesses=10"), CR_CHANGE_RESOURCES);
	assert_int_equal(diff_after("resources", "rset=0"), CR_CHANGE_RESOURCES);
	assert_int_equal(diff_after("security", "privs=CAP_NET_ADMIN"), CR_CHANGE_SECURITY);
	assert_int_equal(diff_after("mount", "directory=/data"), CR_CHANGE_MOUNTS);
	assert_int_equal(diff_after("network", "interface=eth0"), CR_CHANGE_NETWORK);
}

static void refused(int st, unsigned mask, const char *msg)
{
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_change_check_allowed("web", st, mask, &err), -EBUSY);
	assert_string_equal(cr_error_msg(&err), msg);
	cr_error_clear(&err);
}

static void allowed_by_state(void **state)
{
	(void)state;
	unsigned all = CR_CHANGE_NAME | CR_CHANGE_HOSTNAME | CR_CHANGE_DIRECTORY | CR_CHANGE_MOUNTS |
		       CR_CHANGE_NETWORK | CR_CHANGE_RESOURCES | CR_CHANGE_SECURITY |
		       CR_CHANGE_CHECKPOINTABLE | CR_CHANGE_OTHER;
	unsigned live = CR_CHANGE_HOSTNAME | CR_CHANGE_RESOURCES | CR_CHANGE_OTHER;
	assert_int_equal(cr_change_check_allowed("web", CR_STATE_DEFINED, all, NULL), 0);
	assert_int_equal(cr_change_check_allowed("web", CR_STATE_ACTIVE, live, NULL), 0);
	assert_int_equal(cr_change_check_allowed("web", CR_STATE_PAUSED, live, NULL), 0);
	refused(CR_STATE_ACTIVE, CR_CHANGE_MOUNTS | CR_CHANGE_HOSTNAME,
		"cannot change the mounts of web while it is Active: stop it first");
	refused(CR_STATE_ACTIVE, CR_CHANGE_NAME, "cannot change the name of web while it is Active: stop it first");
	refused(CR_STATE_FROZEN, CR_CHANGE_DIRECTORY,
		"cannot change the base directory of web while it is Frozen: stop it first");
	refused(CR_STATE_ACTIVE, CR_CHANGE_NETWORK,
		"cannot change the network of web while it is Active: stop it first");
	refused(CR_STATE_TRANSITIONAL, CR_CHANGE_OTHER,
		"web is Transitional: try again when the operation ends");
	refused(CR_STATE_BROKEN, CR_CHANGE_HOSTNAME, "web is Broken: clear it with stopwpar -F first");
}

static int set_bad_processes(struct cr_wpar_config *cfg, void *data, struct cr_error *err)
{
	(void)data;
	if (cr_attr_set(cfg, CR_STANZA_GENERAL, "auto", "yes", err) < 0)
		return -1;
	return cr_attr_set(cfg, CR_STANZA_RESOURCES, "totalProcesses", "0", err);
}

static int set_auto(struct cr_wpar_config *cfg, void *data, struct cr_error *err)
{
	(void)data;
	return cr_attr_set(cfg, CR_STANZA_GENERAL, "auto", "yes", err);
}

static void bad_change_keeps_spec(void **state)
{
	(void)state;
	char root[] = "/tmp/corral-test-change.XXXXXX";
	assert_non_null(mkdtemp(root));
	setenv("CORRAL_ROOT", root, 1);
	struct cr_wpar_config c;
	cr_config_init(&c);
	assert_int_equal(cr_attr_set(&c, CR_STANZA_GENERAL, "name", "app1", NULL), 0);
	assert_int_equal(cr_attr_set(&c, CR_STANZA_GENERAL, "type", "A", NULL), 0);
	assert_int_equal(cr_config_complete(&c, NULL), 0);
	assert_int_equal(cr_registry_save_config(&c, NULL), 0);
	char *path = NULL, *before = NULL, *after = NULL;
	size_t n1 = 0, n2 = 0;
	assert_int_equal(cr_registry_spec_path("app1", &path, NULL), 0);
	assert_int_equal(cr_read_file(path, 1 << 20, &before, &n1, NULL), 0);
	struct cr_error err = CR_ERROR_INIT;
	assert_true(cr_partition_change("app1", set_bad_processes, NULL, NULL, &err) < 0);
	assert_non_null(strstr(cr_error_msg(&err), "totalProcesses"));
	cr_error_clear(&err);
	assert_int_equal(cr_read_file(path, 1 << 20, &after, &n2, NULL), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(after);
	struct cr_change_result res;
	assert_int_equal(cr_partition_change("app1", set_auto, NULL, &res, &err), 0);
	assert_true(res.changed);
	assert_false(res.renamed);
	assert_int_equal(cr_read_file(path, 1 << 20, &after, &n2, NULL), 0);
	assert_non_null(strstr(after, "auto = \"yes\""));
	free(after);
	free(before);
	free(path);
	cr_config_free(&c);
	assert_int_equal(cr_rm_rf(root, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(diff_groups),
		cmocka_unit_test(allowed_by_state),
		cmocka_unit_test(bad_change_keeps_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
