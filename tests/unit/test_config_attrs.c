/* Command-line attributes (-M, -N, -R, -S, chwpar -K): applying key=value
 * words per stanza, all-or-nothing failures, removal, and counting the
 * words that follow a flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "spec/attrs.h"
#include "spec/spec_file.h"

#define WORDS(...) (char *[]){__VA_ARGS__}, sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)

static void apply_ok(struct cr_wpar_config *c, const char *stanza, char **words, size_t n)
{
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_attrs_apply(c, stanza, words, n, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
}

static void apply_fails(struct cr_wpar_config *c, const char *stanza, char **words, size_t n,
			int code, const char *msg)
{
	struct cr_wpar_config before;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_config_copy(&before, c, &err), 0);
	assert_int_equal(cr_attrs_apply(c, stanza, words, n, &err), -code);
	assert_string_equal(err.msg, msg);
	assert_true(cr_config_equal(c, &before)); /* all or nothing */
	cr_config_free(&before);
	cr_error_clear(&err);
}

static void apply_each_stanza(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	cr_config_init(&c);
	apply_ok(&c, "general", WORDS("name=web", "checkpointable=yes", "auto=true"));
	apply_ok(&c, "mount", WORDS("directory=/", "vfs=nfs", "host=h", "dev=/export/web"));
	apply_ok(&c, "mount", WORDS("directory=/tmp", "vfs=tmpfs", "mountopts=size=64m"));
	apply_ok(&c, "network",
		 WORDS("interface=veth0", "address=10.0.0.5", "netmask=255.255.255.0"));
	apply_ok(&c, "RESOURCES", WORDS("shares_CPU=20", "CPU=5%-50%,80%", "memoryLimit=1G",
					"procVirtMem=1024MB", "totalProcesses=64"));
	apply_ok(&c, "security", WORDS("privs=CAP_NET_ADMIN"));
	assert_string_equal(c.name, "web");
	assert_true(c.checkpointable && c.autostart);
	assert_int_equal(c.n_mounts, 2);
	assert_string_equal(c.mounts[0].host, "h");
	assert_string_equal(c.mounts[1].mountopts, "size=64m"); /* only the first '=' splits */
	assert_int_equal(c.n_netifs, 1);
	assert_string_equal(c.netifs[0].netmask, "255.255.255.0");
	assert_int_equal(c.resources.cpu_shares, 20);
	assert_int_equal(c.resources.cpu_min, 5);
	assert_int_equal(c.resources.cpu_softmax, 50);
	assert_int_equal(c.resources.cpu_hardmax, 80);
	assert_int_equal(c.resources.memory_limit, 1LL << 30);
	assert_int_equal(c.resources.proc_virt_mem, 1LL << 30);
	assert_int_equal(c.resources.total_processes, 64);
	assert_string_equal(c.security.privs, "CAP_NET_ADMIN");
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_config_validate(&c, &err), 0);

	/* The same words in a spec file give the same configuration. */
	const char *text = "general:\nname=web\ncheckpointable=yes\nauto=true\n"
			   "mount:\ndirectory=/\nvfs=nfs\nhost=h\ndev=/export/web\n"
			   "mount:\ndirectory=/tmp\nvfs=tmpfs\nmountopts=size=64m\n"
			   "network:\ninterface=veth0\naddress=10.0.0.5\nnetmask=255.255.255.0\n"
			   "resources:\nshares_CPU=20\nCPU=5%-50%,80%\nmemoryLimit=1G\n"
			   "procVirtMem=1024MB\ntotalProcesses=64\n"
			   "security:\nprivs=CAP_NET_ADMIN\n";
	struct cr_wpar_config f;
	assert_int_equal(cr_spec_parse(text, strlen(text), "t", &f, &err), 0);
	assert_true(cr_config_equal(&c, &f));
	cr_config_free(&f);

	/* Later words win; general keeps what was not given. */
	apply_ok(&c, "general", WORDS("checkpointable=no", "checkpointable=yes", "hostname=h2"));
	assert_true(c.checkpointable);
	assert_string_equal(c.hostname, "h2");
	assert_string_equal(c.name, "web");
	cr_config_free(&c);
}

static void mount_of_same_directory_is_changed(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	cr_config_init(&c);
	apply_ok(&c, "general", WORDS("name=web"));
	apply_ok(&c, "mount", WORDS("directory=/", "vfs=tmpfs"));
	apply_ok(&c, "mount", WORDS("directory=/home", "vfs=nfs", "host=h", "dev=/e"));
	apply_ok(&c, "mount", WORDS("directory=/var", "vfs=tmpfs"));
	/* chwpar -M directory=/home mountopts=ro: only that attribute changes */
	apply_ok(&c, "mount", WORDS("mountopts=ro", "directory=/home"));
	assert_int_equal(c.n_mounts, 3);
	assert_string_equal(c.mounts[1].directory, "/home");
	assert_string_equal(c.mounts[1].host, "h");
	assert_string_equal(c.mounts[1].mountopts, "ro");
	/* switching to tmpfs needs host= reset, and validation says so */
	apply_ok(&c, "mount", WORDS("directory=/home", "vfs=tmpfs"));
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_config_validate(&c, &err), -EINVAL);
	assert_string_equal(err.msg, "web: mount /home: host= is only allowed with vfs=nfs");
	apply_ok(&c, "mount", WORDS("directory=/home", "host=", "dev="));
	assert_int_equal(cr_config_validate(&c, &err), 0);
	assert_int_equal(c.n_mounts, 3);
	assert_string_equal(c.mounts[2].directory, "/var"); /* order kept */
	/* a failure leaves the mount as it was */
	apply_fails(&c, "mount", WORDS("directory=/var", "vfs=nfs", "bogus=1"), ENOENT,
		    "unknown attribute 'bogus' in mount stanza");
	assert_string_equal(c.mounts[2].vfs, "tmpfs");
	cr_error_clear(&err);
	cr_config_free(&c);
}

static void apply_rejections(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	cr_config_init(&c);
	apply_ok(&c, "general", WORDS("name=web"));
	apply_fails(&c, "resources", WORDS("shares_CPU=5", "CPU=50%-10%,100%"), EINVAL,
		    "invalid value '50%-10%,100%' for CPU: CPU minimum 50% is above the soft "
		    "maximum 10%");
	apply_fails(&c, "resources", WORDS("memory=10%-x"), EINVAL,
		    "invalid value '10%-x' for memory: expected a percentage at 'x'");
	apply_fails(&c, "mount", WORDS("directory=/a", "vfs"), EINVAL,
		    "attribute 'vfs' is not key=value");
	apply_fails(&c, "mount", WORDS("directory=/a", "=nfs"), EINVAL,
		    "attribute '=nfs' is not key=value");
	apply_fails(&c, "network", WORDS("interface=eth0", "mask=255.0.0.0"), ENOENT,
		    "unknown attribute 'mask' in network stanza");
	apply_fails(&c, "general", WORDS("name=a b"), EINVAL,
		    "invalid value 'a b' for name: invalid partition name 'a b': character ' ' is "
		    "not allowed (no blanks, dots or shell metacharacters)");
	apply_fails(&c, "routes", WORDS("rtdest=default"), EINVAL, "unknown stanza 'routes'");
	apply_fails(&c, "mount", NULL, 0, EINVAL, "no attributes given for the mount stanza");
	assert_int_equal(c.n_mounts, 0);
	cr_config_free(&c);
}

static void remove_attributes(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	cr_config_init(&c);
	apply_ok(&c, "general", WORDS("name=web", "auto=yes", "script=/s"));
	apply_ok(&c, "resources", WORDS("active=no", "CPU=10%", "totalThreads=5", "rset=0"));
	apply_ok(&c, "mount", WORDS("directory=/home", "vfs=tmpfs"));
	apply_ok(&c, "mount", WORDS("directory=/tmp", "vfs=tmpfs"));
	apply_ok(&c, "network", WORDS("interface=a", "address=10.0.0.1", "netmask=255.0.0.0"));
	apply_ok(&c, "network", WORDS("interface=b", "address=10.0.0.2", "netmask=255.0.0.0"));

	assert_int_equal(cr_attrs_remove(&c, "general", "auto", &err), 0);
	assert_false(c.autostart);
	assert_int_equal(cr_attrs_remove(&c, "general", "script=", &err), 0);
	assert_null(c.script);
	assert_int_equal(cr_attrs_remove(&c, "resources", "active", &err), 0);
	assert_true(c.resources.active); /* default is yes */
	assert_int_equal(cr_attrs_remove(&c, "resources", "cpu", &err), 0);
	assert_int_equal(c.resources.cpu_min, CR_UNSET);
	assert_int_equal(cr_attrs_remove(&c, "resources", "totalThreads", &err), 0);
	assert_int_equal(c.resources.total_threads, CR_UNSET);
	assert_int_equal(cr_attrs_remove(&c, "resources", "rset", &err), 0);
	assert_null(c.resources.rset);
	assert_int_equal(cr_attrs_remove(&c, "resources", "totalPTYs", &err), 0); /* AIX, ignored */

	assert_int_equal(cr_attrs_remove(&c, "mount", "directory=/home", &err), 0);
	assert_int_equal(c.n_mounts, 1);
	assert_string_equal(c.mounts[0].directory, "/tmp");
	assert_int_equal(cr_attrs_remove(&c, "network", "address=10.0.0.1", &err), 0);
	assert_int_equal(c.n_netifs, 1);
	assert_string_equal(c.netifs[0].interface, "b");

	assert_int_equal(cr_attrs_remove(&c, "mount", "directory=/home", &err), -ENOENT);
	assert_string_equal(err.msg, "no mount entry with directory=/home");
	assert_int_equal(cr_attrs_remove(&c, "mount", "directory", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "name the mount entry to remove as attribute=value, not 'directory'");
	assert_int_equal(cr_attrs_remove(&c, "network", "ip=10.0.0.2", &err), -ENOENT);
	assert_string_equal(err.msg, "unknown attribute 'ip' in network stanza");
	assert_int_equal(cr_attrs_remove(&c, "general", "name", &err), -EINVAL);
	assert_string_equal(err.msg, "the partition name cannot be removed");
	assert_int_equal(cr_attrs_remove(&c, "general", "auto=yes", &err), -EINVAL);
	assert_string_equal(err.msg, "'auto=yes': removing an attribute takes no value");
	assert_int_equal(cr_attrs_remove(&c, "general", "color", &err), -ENOENT);
	assert_string_equal(err.msg, "unknown attribute 'color' in general stanza");
	assert_int_equal(cr_attrs_remove(&c, "device", "x", &err), -EINVAL);
	assert_string_equal(err.msg, "unknown stanza 'device'");
	assert_string_equal(c.name, "web");
	cr_error_clear(&err);
	cr_config_free(&c);
}

static void count_words(void **state)
{
	(void)state;
	char *argv[] = {"mkwpar", "-M", "directory=/", "vfs=nfs", "host=h", "-n", "web",
			"-R", "active=yes", "plain", "k=v", NULL};
	int argc = 11;
	assert_int_equal(cr_attrs_count_words(argv, argc, 2), 3);
	assert_int_equal(cr_attrs_count_words(argv, argc, 1), 0); /* "-M" */
	assert_int_equal(cr_attrs_count_words(argv, argc, 6), 0); /* "web" has no '=' */
	assert_int_equal(cr_attrs_count_words(argv, argc, 8), 1); /* stops at "plain" */
	assert_int_equal(cr_attrs_count_words(argv, argc, 10), 1);
	assert_int_equal(cr_attrs_count_words(argv, argc, 11), 0);
	assert_int_equal(cr_attrs_count_words(argv, argc, 50), 0);
	char *dash[] = {"-x=1"};
	assert_int_equal(cr_attrs_count_words(dash, 1, 0), 0);
}

static void stanza_names(void **state)
{
	(void)state;
	assert_int_equal(cr_stanza_lookup("general"), CR_STANZA_GENERAL);
	assert_int_equal(cr_stanza_lookup("Mount"), CR_STANZA_MOUNT);
	assert_int_equal(cr_stanza_lookup("route"), -1);
	assert_string_equal(cr_stanza_name(CR_STANZA_SECURITY), "security");
	assert_string_equal(cr_stanza_name((enum cr_stanza)42), "unknown");
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	cr_config_init(&c);
	/* a network value needs a network entry first */
	assert_int_equal(cr_attr_set(&c, CR_STANZA_NETWORK, "address", "1.2.3.4", &err), -EINVAL);
	assert_string_equal(err.msg, "no network entry to set address on");
	cr_error_clear(&err);
	cr_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(apply_each_stanza),
		cmocka_unit_test(mount_of_same_directory_is_changed),
		cmocka_unit_test(apply_rejections),
		cmocka_unit_test(remove_attributes),
		cmocka_unit_test(count_words),
		cmocka_unit_test(stanza_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
