/* The partition configuration: AIX name rules (each rejection), defaults,
 * deep copies, equality, and every rejection of cr_config_validate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/config.h"

static void name_rejected(const char *name, const char *msg)
{
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_name_validate(name, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
	cr_error_clear(&err);
}

static void name_rules(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	const char *good[] = {"a", "wp13", "web-01", "x_y", "A_b", "1abc", "web01",
			      "abcdefghijklmnopqrstuvwxy" /* 25 bytes */};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(cr_name_validate(good[i], &err), 0);
	assert_null(err.msg);

	name_rejected(NULL, "invalid partition name '': a name needs 1 to 25 bytes");
	name_rejected("", "invalid partition name '': a name needs 1 to 25 bytes");
	name_rejected("abcdefghijklmnopqrstuvwxyz",
		      "invalid partition name 'abcdefghijklmnopqrstuvwxyz': 26 bytes, at most 25 "
		      "allowed");
	name_rejected("-web", "invalid partition name '-web': must not start with '-'");
	name_rejected("0web", "invalid partition name '0web': must not start with '0'");
	name_rejected("we\nb", "invalid partition name 'we\\nb': control character at byte 3");
	name_rejected("w\x7f", "invalid partition name 'w\\x7f': control character at byte 2");
	name_rejected("caf\xc3\xa9", "invalid partition name 'caf\\xc3\\xa9': non-ASCII byte at byte 4");
	name_rejected("a\tb", "invalid partition name 'a\\tb': control character at byte 2");

	const char *meta = " `~!$%^&*()[]{}|\\;'\"<>?/,=:.+";
	for (const char *m = meta; *m; m++) {
		char name[8] = {'w', *m, 'b', '\0'};
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "invalid partition name '%s': character '%c' is not allowed (no blanks, dots or "
			 "shell metacharacters)",
			 *m == '\\' ? "w\\\\b" : name, *m);
		name_rejected(name, msg);
	}
	/* Names that would leave a directory they are joined to, and AIX's no-dot rule. */
	const char *escapes[] = {".", "..", "q1.x", "a/b", "../x", "x/..", "web."};
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		assert_int_equal(cr_name_validate(escapes[i], &err), -EINVAL);
		assert_non_null(strstr(err.msg, "is not allowed"));
		cr_error_clear(&err);
	}
}

static void init_and_defaults(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	cr_config_init(&c);
	assert_int_equal(c.type, CR_TYPE_SYSTEM);
	assert_true(c.resources.active);
	assert_int_equal(c.resources.cpu_shares, CR_UNSET);
	assert_int_equal(c.resources.memory_hardmax, CR_UNSET);
	assert_int_equal(c.resources.memory_limit, CR_UNSET);
	assert_int_equal(c.resources.total_threads, CR_UNSET);
	assert_null(c.name);

	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_config_complete(&c, &err), -EINVAL); /* no name */
	cr_error_clear(&err);

	setenv("CORRAL_ROOT", "/tmp/corral-root//", 1);
	c.name = strdup("web");
	assert_non_null(cr_config_add_mount(&c));
	c.mounts[0].directory = strdup("/tmp");
	assert_int_equal(cr_config_complete(&c, &err), 0);
	assert_string_equal(c.hostname, "web");
	assert_string_equal(c.directory, "/tmp/corral-root/wpars/web");
	assert_string_equal(c.owner, "root");
	assert_string_equal(c.mounts[0].vfs, "directory");
	assert_int_equal(cr_config_validate(&c, &err), 0);

	/* What was given is kept. */
	free(c.hostname);
	c.hostname = strdup("other");
	assert_int_equal(cr_config_complete(&c, &err), 0);
	assert_string_equal(c.hostname, "other");
	cr_config_free(&c);
	assert_null(c.name);
	assert_int_equal(c.n_mounts, 0);
	assert_true(c.resources.active);
}

static void fill(struct cr_wpar_config *c)
{
	cr_config_init(c);
	c->name = strdup("web");
	c->hostname = strdup("web.example.com");
	c->directory = strdup("/wpars/web");
	c->script = strdup("/etc/web.sh");
	c->devices = strdup("/etc/wpars/devexports");
	c->owner = strdup("root");
	c->checkpointable = c->autostart = c->private_usr = true;
	struct cr_mount *m = cr_config_add_mount(c);
	m->directory = strdup("/home");
	m->vfs = strdup("nfs");
	m->host = strdup("127.0.0.1");
	m->dev = strdup("/srv/nfs/home");
	m->mountopts = strdup("bg,intr");
	m = cr_config_add_mount(c);
	m->directory = strdup("/tmp");
	m->vfs = strdup("tmpfs");
	struct cr_netif *n = cr_config_add_netif(c);
	n->interface = strdup("veth0");
	n->address = strdup("10.0.0.5");
	n->netmask = strdup("255.255.255.0");
	n->broadcast = strdup("10.0.0.255");
	n = cr_config_add_netif(c);
	n->interface = strdup("veth1");
	n->address6 = strdup("fd00::5");
	n->prefixlen = strdup("64");
	c->resources.rset = strdup("0"); /* every host has CPU 0 online */
	c->resources.cpu_shares = 10;
	c->resources.cpu_min = 5;
	c->resources.cpu_softmax = 50;
	c->resources.cpu_hardmax = 80;
	c->resources.memory_limit = 512 << 20;
	c->resources.total_processes = 100;
	c->security.privs = strdup("CAP_NET_ADMIN");
}

static void copy_and_equal(void **state)
{
	(void)state;
	struct cr_wpar_config a, b;
	fill(&a);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_config_validate(&a, &err), 0);
	assert_int_equal(cr_config_copy(&b, &a, &err), 0);
	assert_true(cr_config_equal(&a, &b));
	assert_ptr_not_equal(a.mounts, b.mounts);
	assert_ptr_not_equal(a.mounts[0].host, b.mounts[0].host);
	assert_ptr_not_equal(a.security.privs, b.security.privs);

	free(b.mounts[0].mountopts);
	b.mounts[0].mountopts = NULL;
	assert_false(cr_config_equal(&a, &b));
	b.mounts[0].mountopts = strdup("bg,intr");
	b.resources.cpu_hardmax = 90;
	assert_false(cr_config_equal(&a, &b));
	b.resources.cpu_hardmax = 80;
	b.private_usr = false;
	assert_false(cr_config_equal(&a, &b));
	b.private_usr = true;
	assert_true(cr_config_equal(&a, &b));

	/* find, remove */
	assert_true(cr_config_find_mount(&b, "/tmp") == &b.mounts[1]);
	assert_null(cr_config_find_mount(&b, "/var"));
	cr_config_remove_mount(&b, 0);
	assert_int_equal(b.n_mounts, 1);
	assert_string_equal(b.mounts[0].directory, "/tmp");
	cr_config_remove_mount(&b, 5);
	assert_int_equal(b.n_mounts, 1);
	cr_config_remove_netif(&b, 0);
	assert_string_equal(b.netifs[0].interface, "veth1");
	assert_false(cr_config_equal(&a, &b));
	cr_config_free(&a);
	cr_config_free(&b);
}

/* Break one thing in a valid configuration and expect MSG. */
static void rejected(void (*breakit)(struct cr_wpar_config *), const char *msg)
{
	struct cr_wpar_config c;
	fill(&c);
	breakit(&c);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_config_validate(&c, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
	cr_error_clear(&err);
	cr_config_free(&c);
}

static void set(char **field, const char *v)
{
	free(*field);
	*field = v ? strdup(v) : NULL;
}

static void b_name(struct cr_wpar_config *c) { set(&c->name, "we b"); }
static void b_type(struct cr_wpar_config *c) { c->type = (enum cr_wpar_type)'X'; }
static void b_host(struct cr_wpar_config *c) { set(&c->hostname, "web_1"); }
static void b_dir(struct cr_wpar_config *c) { set(&c->directory, "/wpars//web"); }
static void b_owner(struct cr_wpar_config *c) { set(&c->owner, ""); }
static void b_mdir(struct cr_wpar_config *c) { set(&c->mounts[1].directory, NULL); }
static void b_mrel(struct cr_wpar_config *c) { set(&c->mounts[1].directory, "tmp"); }
static void b_mdot(struct cr_wpar_config *c) { set(&c->mounts[1].directory, "/a/../tmp"); }
static void b_mslash(struct cr_wpar_config *c) { set(&c->mounts[1].directory, "/tmp/"); }
static void b_mdup(struct cr_wpar_config *c) { set(&c->mounts[1].directory, "/home"); }
static void b_vfs(struct cr_wpar_config *c) { set(&c->mounts[1].vfs, "jfs2"); }
static void b_nfshost(struct cr_wpar_config *c) { set(&c->mounts[0].host, NULL); }
static void b_nfsdev(struct cr_wpar_config *c) { set(&c->mounts[0].dev, ""); }
static void b_binddev(struct cr_wpar_config *c) { set(&c->mounts[1].vfs, "bind"); }
static void b_namefsdev(struct cr_wpar_config *c) { set(&c->mounts[1].vfs, "namefs"); }
static void b_host_not_nfs(struct cr_wpar_config *c) { set(&c->mounts[1].host, "h"); }
static void b_bind_rel(struct cr_wpar_config *c)
{
	set(&c->mounts[1].vfs, "bind");
	set(&c->mounts[1].dev, "srv");
}
static void b_noif(struct cr_wpar_config *c) { set(&c->netifs[0].interface, NULL); }
static void b_longif(struct cr_wpar_config *c) { set(&c->netifs[0].interface, "abcdefghijklmnop"); }
static void b_noaddr(struct cr_wpar_config *c)
{
	set(&c->netifs[0].address, NULL);
	set(&c->netifs[0].netmask, NULL);
}
static void b_nomask(struct cr_wpar_config *c) { set(&c->netifs[0].netmask, NULL); }
static void b_addr(struct cr_wpar_config *c) { set(&c->netifs[0].address, "10.0.0.256"); }
static void b_mask(struct cr_wpar_config *c) { set(&c->netifs[0].netmask, "255.0.255.0"); }
static void b_bcast(struct cr_wpar_config *c) { set(&c->netifs[0].broadcast, "x"); }
static void b_noplen(struct cr_wpar_config *c) { set(&c->netifs[1].prefixlen, NULL); }
static void b_addr6(struct cr_wpar_config *c) { set(&c->netifs[1].address6, "fd00::g"); }
static void b_plen(struct cr_wpar_config *c) { set(&c->netifs[1].prefixlen, "129"); }
static void b_rset(struct cr_wpar_config *c) { set(&c->resources.rset, "0-1;2"); }
static void b_shares(struct cr_wpar_config *c) { c->resources.cpu_shares = 0; }
static void b_mshares(struct cr_wpar_config *c) { c->resources.memory_shares = 65536; }
static void b_cpu_order(struct cr_wpar_config *c) { c->resources.cpu_softmax = 90; }
static void b_mem_range(struct cr_wpar_config *c) { c->resources.memory_hardmax = 101; }
static void b_limit(struct cr_wpar_config *c) { c->resources.memory_limit = 0; }
static void b_vmem(struct cr_wpar_config *c) { c->resources.proc_virt_mem = -5; }
static void b_procs(struct cr_wpar_config *c) { c->resources.total_processes = 0; }
static void b_threads(struct cr_wpar_config *c) { c->resources.total_threads = -2; }
static void b_limit_low(struct cr_wpar_config *c) { c->resources.memory_limit = 4096; }
static void b_vmem_low(struct cr_wpar_config *c) { c->resources.proc_virt_mem = (16 << 20) - 1; }
static void b_procs_one(struct cr_wpar_config *c) { c->resources.total_processes = 1; }
static void b_threads_one(struct cr_wpar_config *c) { c->resources.total_threads = 1; }
static void b_cpu_zero(struct cr_wpar_config *c)
{
	c->resources.cpu_min = c->resources.cpu_softmax = c->resources.cpu_hardmax = 0;
}
static void b_mem_zero(struct cr_wpar_config *c) { c->resources.memory_hardmax = 0; }
static void b_rset_far(struct cr_wpar_config *c) { set(&c->resources.rset, "0-65535"); }
static void b_rset_huge(struct cr_wpar_config *c) { set(&c->resources.rset, "99999999999"); }
static void b_bcast_off(struct cr_wpar_config *c) { set(&c->netifs[0].broadcast, "10.0.1.255"); }
static void b_multicast(struct cr_wpar_config *c) { set(&c->netifs[0].address, "224.0.0.5"); }

static void validate_rejections(void **state)
{
	(void)state;
	rejected(b_name, "invalid partition name 'we b': character ' ' is not allowed (no blanks, "
			 "dots or shell metacharacters)");
	rejected(b_type, "web: unknown partition type 88");
	rejected(b_host, "web: invalid hostname 'web_1' (letters, digits, '-' and '.', at most 64 "
			 "bytes)");
	rejected(b_dir, "web: base directory '/wpars//web' must be an absolute, normalized path");
	rejected(b_owner, "web: empty owner");
	rejected(b_mdir, "web: mount 2 has no directory");
	rejected(b_mrel, "web: mount directory 'tmp' must be an absolute, normalized path");
	rejected(b_mdot, "web: mount directory '/a/../tmp' must be an absolute, normalized path");
	rejected(b_mslash, "web: mount directory '/tmp/' must be an absolute, normalized path");
	rejected(b_mdup, "web: mount directory /home is given twice");
	rejected(b_vfs, "web: mount /tmp: unknown vfs 'jfs2' (directory, nfs, tmpfs, bind or "
			"namefs)");
	rejected(b_nfshost, "web: NFS mount /home needs both host= and dev=");
	rejected(b_nfsdev, "web: NFS mount /home needs both host= and dev=");
	rejected(b_binddev, "web: bind mount /tmp needs dev= (the host path)");
	rejected(b_namefsdev, "web: namefs mount /tmp needs dev= (the host path)");
	rejected(b_host_not_nfs, "web: mount /tmp: host= is only allowed with vfs=nfs");
	rejected(b_bind_rel, "web: mount /tmp: dev 'srv' must be an absolute path");
	rejected(b_noif, "web: network entry 1 has no interface");
	rejected(b_longif, "web: invalid interface name 'abcdefghijklmnop'");
	rejected(b_noaddr, "web: network entry veth0 has no address (address= netmask= or "
			   "address6= prefixlen=)");
	rejected(b_nomask, "web: network entry veth0 needs both address= and netmask=");
	rejected(b_addr, "web: veth0: invalid IPv4 address '10.0.0.256'");
	rejected(b_mask, "web: veth0: invalid netmask '255.0.255.0'");
	rejected(b_bcast, "web: veth0: invalid broadcast address 'x'");
	rejected(b_noplen, "web: network entry veth1 needs both address6= and prefixlen=");
	rejected(b_addr6, "web: veth1: invalid IPv6 address 'fd00::g'");
	rejected(b_plen, "web: veth1: invalid prefixlen '129' (0..128)");
	rejected(b_rset, "web: invalid rset '0-1;2' (a CPU list such as 0-1,3)");
	rejected(b_shares, "web: shares_CPU 0 is outside 1..65535");
	rejected(b_mshares, "web: shares_memory 65536 is outside 1..65535");
	rejected(b_cpu_order, "web: CPU soft maximum 90% is above the hard maximum 80%");
	rejected(b_mem_range, "web: memory hard maximum 101% is outside 0..100%");
	rejected(b_limit, "web: memoryLimit 0 must be positive");
	rejected(b_vmem, "web: procVirtMem -5 must be positive");
	rejected(b_procs, "web: totalProcesses 0 must be positive");
	rejected(b_threads, "web: totalThreads -2 must be positive");
	/* Limits that cannot run anything (issue 14, item 8). */
	rejected(b_limit_low, "web: memoryLimit 4096 is below 16777216 bytes (16M): nothing could "
			      "run in the partition");
	rejected(b_vmem_low, "web: procVirtMem 16777215 is below 16777216 bytes (16M): nothing "
			     "could run in the partition");
	rejected(b_procs_one, "web: totalProcesses 1 is below 2: nothing could run in the "
			      "partition");
	rejected(b_threads_one, "web: totalThreads 1 is below 2: nothing could run in the "
				"partition");
	rejected(b_cpu_zero, "web: a CPU hard maximum of 0% lets nothing run");
	rejected(b_mem_zero, "web: a memory hard maximum of 0% lets nothing run");
	rejected(b_rset_huge, "web: invalid rset '99999999999' (a CPU list such as 0-1,3)");
	/* No host has CPUs 0 to 65535 all online. */
	struct cr_wpar_config c;
	fill(&c);
	b_rset_far(&c);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_config_validate(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "web: rset '0-65535' names CPU "));
	assert_non_null(strstr(err.msg, ", which this host does not have online (online: "));
	cr_error_clear(&err);
	cr_config_free(&c);
	/* Network entries go through the address rules too (mkwpar -w writes only these). */
	rejected(b_bcast_off, "web: veth0: broadcast 10.0.1.255 is not the broadcast address of "
			      "10.0.0.5/24 (10.0.0.255)");
	rejected(b_multicast, "web: veth0: 224.0.0.5 is a multicast address (224.0.0.0/4), not an "
			      "interface address");
}

static void rset_against_host(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_rset_check("0-1", "0-1", &err), 0);
	assert_int_equal(cr_rset_check("1", "0-1", &err), 0);
	assert_int_equal(cr_rset_check("0,2-3", "0,2-5", &err), 0);
	assert_int_equal(cr_rset_check("0-1,3", NULL, &err), 0); /* host unknown: syntax only */
	assert_null(err.msg);
	assert_int_equal(cr_rset_check("0-999", "0-1", &err), -EINVAL);
	assert_string_equal(err.msg, "rset '0-999' names CPU 2, which this host does not have "
				     "online (online: 0-1)");
	cr_error_clear(&err);
	assert_int_equal(cr_rset_check("1", "0,2-3", &err), -EINVAL);
	assert_string_equal(err.msg, "rset '1' names CPU 1, which this host does not have online "
				     "(online: 0,2-3)");
	cr_error_clear(&err);
	const char *bad[] = {"", ",", "1-", "-1", "1-0", "0,,1", "0;1", "1 ", "65536", "0-1,"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cr_rset_check(bad[i], "0-1", &err), -EINVAL);
		assert_non_null(strstr(err.msg, "(a CPU list such as 0-1,3)"));
		cr_error_clear(&err);
	}
}

static void path_normalized(void **state)
{
	(void)state;
	assert_true(cr_path_is_normalized("/"));
	assert_true(cr_path_is_normalized("/a/b.c/..d"));
	assert_false(cr_path_is_normalized(NULL));
	assert_false(cr_path_is_normalized(""));
	assert_false(cr_path_is_normalized("a"));
	assert_false(cr_path_is_normalized("//"));
	assert_false(cr_path_is_normalized("/a/./b"));
	assert_false(cr_path_is_normalized("/a/.."));
	assert_false(cr_path_is_normalized("/a/"));
}

static void percent_checks(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_resources_check_percent("CPU", CR_UNSET, CR_UNSET, CR_UNSET, &err), 0);
	assert_int_equal(cr_resources_check_percent("CPU", 0, 100, 100, &err), 0);
	assert_int_equal(cr_resources_check_percent("CPU", 50, CR_UNSET, 10, &err), -EINVAL);
	assert_string_equal(err.msg, "CPU minimum 50% is above the hard maximum 10%");
	assert_int_equal(cr_resources_check_percent("memory", -3, CR_UNSET, 10, &err), -EINVAL);
	assert_string_equal(err.msg, "memory minimum -3% is outside 0..100%");
	cr_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_rules),
		cmocka_unit_test(init_and_defaults),
		cmocka_unit_test(copy_and_equal),
		cmocka_unit_test(validate_rejections),
		cmocka_unit_test(rset_against_host),
		cmocka_unit_test(path_normalized),
		cmocka_unit_test(percent_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
