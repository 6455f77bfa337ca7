/* NFS mount options from a stanza's mountopts, the libnfs URL they make, and
 * the refusals of both (no server needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "nfs/nfs.h"

static void defaults_without_options(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_nfs_options o;
	assert_int_equal(cr_nfs_options_parse(NULL, &o, &err), 0);
	assert_int_equal(o.nfs_port, 0);
	assert_int_equal(o.mount_port, 0);
	assert_int_equal(o.version, 3);
	assert_int_equal(o.timeout_s, CR_NFS_DEFAULT_TIMEOUT_S);
	assert_false(o.read_only);
	assert_int_equal(cr_nfs_options_parse("", &o, &err), 0);
	assert_int_equal(o.version, 3);
}

static void ports_version_and_flags(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_nfs_options o;
	assert_int_equal(cr_nfs_options_parse("port=20490,mountport=20048,vers=4,ro,nosuid,timeout=5,bg,intr",
					      &o, &err), 0);
	assert_int_equal(o.nfs_port, 20490);
	assert_int_equal(o.mount_port, 20048);
	assert_int_equal(o.version, 4);
	assert_int_equal(o.timeout_s, 5);
	assert_true(o.read_only);
	assert_true(o.nosuid);
	assert_false(o.nodev);
	assert_int_equal(cr_nfs_options_parse("nfsport=2049,ro,rw,nfsvers=3", &o, &err), 0);
	assert_int_equal(o.nfs_port, 2049);
	assert_false(o.read_only);
	assert_int_equal(o.version, 3);
}

static void refuses_bad_options(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{"port=0", "port=0"},           {"port=65536", "port=65536"},
		{"mountport=12x", "mountport=12x"}, {"port=", "port="},
		{"vers=2", "vers=2"},           {"timeout=0", "timeout=0"},
		{"wsize=4096", "wsize"},        {"rw,frobnicate", "frobnicate"},
		{"proto=udp", "proto=udp"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cr_error err = CR_ERROR_INIT;
		struct cr_nfs_options o = {.version = 99};
		assert_int_equal(cr_nfs_options_parse(bad[i][0], &o, &err), -EINVAL);
		assert_non_null(strstr(cr_error_msg(&err), bad[i][1]));
		assert_int_equal(o.version, 99); /* untouched on failure */
		cr_error_clear(&err);
	}
}

static void url_carries_ports_and_version(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_nfs_options o;
	char *url = NULL;
	assert_int_equal(cr_nfs_options_parse("port=20490,mountport=20048", &o, &err), 0);
	assert_int_equal(cr_nfs_url("127.0.0.1", "/srv/nfs", &o, &url, &err), 0);
	assert_string_equal(url, "nfs://127.0.0.1/srv/nfs?version=3&nfsport=20490&mountport=20048");
	free(url);
	assert_int_equal(cr_nfs_options_parse("vers=4", &o, &err), 0);
	assert_int_equal(cr_nfs_url("server", "/export", &o, &url, &err), 0);
	assert_string_equal(url, "nfs://server/export?version=4");
	free(url);
}

static void url_refuses_what_would_change_it(void **state)
{
	(void)state;
	struct cr_nfs_options o;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_nfs_options_parse(NULL, &o, &err), 0);
	static const char *const cases[][2] = {
		{"h?x=1", "/e"}, {"h/x", "/e"}, {"", "/e"}, {"h", "relative"},
		{"h", "/e?nfsport=1"}, {"h", "/e&x"}, {"h", "/a,b"}, {"h", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *url = NULL;
		assert_int_equal(cr_nfs_url(cases[i][0], cases[i][1], &o, &url, &err), -EINVAL);
		assert_null(url);
		cr_error_clear(&err);
	}
	assert_int_equal(cr_nfs_url(NULL, "/e", &o, &(char *){NULL}, &err), -EINVAL);
	assert_non_null(strstr(cr_error_msg(&err), "no host"));
	cr_error_clear(&err);
}

static void client_choice_can_be_forced(void **state)
{
	(void)state;
	setenv("CORRAL_NFS_CLIENT", "fuse", 1);
	assert_int_equal(cr_nfs_client_choose(), CR_NFS_CLIENT_FUSE);
	setenv("CORRAL_NFS_CLIENT", "kernel", 1);
	assert_int_equal(cr_nfs_client_choose(), CR_NFS_CLIENT_KERNEL);
	unsetenv("CORRAL_NFS_CLIENT");
	assert_string_equal(cr_nfs_client_name(CR_NFS_CLIENT_FUSE), "FUSE over libnfs");
	struct cr_mount nfs = {.vfs = "nfs"}, tmp = {.vfs = "tmpfs"}, none = {0};
	assert_true(cr_nfs_is_nfs(&nfs));
	assert_false(cr_nfs_is_nfs(&tmp));
	assert_false(cr_nfs_is_nfs(&none));
	assert_false(cr_nfs_is_nfs(NULL));
}

static void mount_needs_host_and_export(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_mount m = {.directory = "/home", .vfs = "nfs", .dev = "/export"};
	pid_t pid = 12345;
	assert_int_equal(cr_nfs_fuse_mount(&m, "/nonexistent", &pid, &err), -EINVAL);
	assert_non_null(strstr(cr_error_msg(&err), "host and dev"));
	assert_int_equal(pid, 12345);
	cr_error_clear(&err);
	m.host = "127.0.0.1";
	m.mountopts = "port=99999";
	assert_int_equal(cr_nfs_fuse_mount(&m, "/nonexistent", &pid, &err), -EINVAL);
	assert_non_null(strstr(cr_error_msg(&err), "port=99999"));
	cr_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_without_options),
		cmocka_unit_test(ports_version_and_flags),
		cmocka_unit_test(refuses_bad_options),
		cmocka_unit_test(url_carries_ports_and_version),
		cmocka_unit_test(url_refuses_what_would_change_it),
		cmocka_unit_test(client_choice_can_be_forced),
		cmocka_unit_test(mount_needs_host_and_export),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
