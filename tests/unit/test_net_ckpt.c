/* A partition's network across checkpoint and restore (net/net_ckpt.h):
 * its network made again in the empty namespace CRIU restores it into
 * (links, addresses, routes; a missing interface named), and the lock: it drops a peer's ping, the keeper lifts it only
 * once the dumper is done AND the freezer says THAWED, and unlocking twice
 * or after the partition ended is no error. Needs root (namespaces); the
 * test runs in a network namespace of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "net/net_ckpt.h"
#include "spec/config.h"
#include "tests/unit/test_netns_fixture.h"

static bool have_root;

static int group_setup(void **state)
{
	(void)state;
	have_root = geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
		    system("ip link set lo up && ip link add brt0 type bridge && "
			   "ip link add vt0 type veth peer name vt1 2>&1") == 0;
	return 0;
}

static void add_entry(struct cr_wpar_config *c, const char *interface, const char *address)
{
	struct cr_netif *n = cr_config_add_netif(c);
	n->interface = strdup(interface);
	n->address = strdup(address);
	n->netmask = strdup("255.255.255.0");
}

/* Run CMD (a printf format) through the shell: its exit status. */
static int sh(const char *fmt, int pid)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), fmt, pid, pid, pid);
	return system(cmd);
}

static bool pings(const char *addr)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "ping -c1 -W1 %s >/dev/null 2>&1", addr);
	return system(cmd) == 0;
}

/* Up to 10 s for ADDR to answer (ARP and a bridge port coming up). */
static bool pings_soon(const char *addr)
{
	for (int i = 0; i < 10; i++)
		if (pings(addr))
			return true;
	return false;
}

/* What CRIU's restore with --empty-ns net leaves to Corral: a namespace with
 * nothing but a loopback that is down. cr_net_restore_inside makes the
 * partition's network there (a veth into a bridge with an IPv4 and a usable
 * IPv6 address and a default route, a macvlan on a plain link, an address on
 * the loopback), which cr_net_resumed unlocks and announces; a missing
 * interface is named. */
static void restore_inside(void **state)
{
	(void)state;
	if (!have_root)
		skip();
	assert_int_equal(system("ip addr add 10.9.1.1/24 dev brt0 && ip link set brt0 up && "
				"ip link set vt0 up && ip link set vt1 up"),
			 0);
	pid_t root = netns_fixture_hold(30);
	assert_true(root > 0);
	struct cr_wpar_config c;
	cr_config_init(&c);
	c.name = strdup("u1");
	add_entry(&c, "brt0", "10.9.1.10");
	c.netifs[0].address6 = strdup("fd00:9:1::10");
	c.netifs[0].prefixlen = strdup("64");
	c.netifs[0].gateway = strdup("10.9.1.1");
	add_entry(&c, "lo", "10.9.2.10");
	add_entry(&c, "vt0", "10.9.3.10");
	struct cr_error err = CR_ERROR_INIT;
	if (cr_net_restore_inside(&c, root, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(sh("nsenter -t %d -n ip -o link show lo | grep -q 'state UNKNOWN' && "
			    "nsenter -t %d -n ip -o addr show dev lo | grep -q 'inet 10.9.2.10/24' && "
			    "nsenter -t %d -n ip -o addr show dev eth0 | grep -q 'inet 10.9.1.10/24'",
			    (int)root),
			 0);
	assert_int_equal(sh("nsenter -t %d -n ip -o -6 addr show dev eth0 | grep 'fd00:9:1::10/64' | "
			    "grep -vq tentative && nsenter -t %d -n ip route | grep -q 'default via 10.9.1.1' && "
			    "nsenter -t %d -n ip -o -d link show eth1 | grep -q macvlan",
			    (int)root),
			 0);
	assert_int_equal(system("ip -o link show master brt0 | grep -q 'alias corral:u1'"), 0);
	assert_true(pings_soon("10.9.1.10"));
	assert_int_equal(cr_net_lock(root, &err), 0); /* as CRIU's lock would */
	assert_false(pings("10.9.1.10"));
	if (cr_net_resumed(&c, root, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_true(pings_soon("10.9.1.10"));
	netns_fixture_release(root);
	assert_int_equal(cr_net_detach(&c, &err), 0);

	/* An interface this host lacks: named, nothing left behind. */
	root = netns_fixture_hold(30);
	assert_true(root > 0);
	free(c.netifs[2].interface);
	c.netifs[2].interface = strdup("nosuch0");
	assert_int_equal(cr_net_restore_inside(&c, root, &err), -ENODEV);
	assert_non_null(strstr(cr_error_msg(&err), "nosuch0"));
	assert_int_not_equal(system("ip -o link show master brt0 | grep -q 'alias corral:u1'"), 0);
	netns_fixture_release(root);
	cr_error_clear(&err);
	cr_config_free(&c);
}

static bool answers(void)
{
	return system("ping -c1 -W1 10.9.0.2 >/dev/null 2>&1") == 0;
}

/* Up to 10 s for the ping to come back (after packets were dropped, the
 * neighbour entry may need a few ARP rounds). */
static bool answers_soon(void)
{
	for (int i = 0; i < 10; i++)
		if (answers())
			return true;
	return false;
}

/* Replace the file at once, as a cgroup file changes: a reader never sees
 * it empty. */
static void write_state(const char *path, const char *state)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, state, strlen(state)), (ssize_t)strlen(state));
	close(fd);
	assert_int_equal(rename(tmp, path), 0);
}

static void lock_until_thaw(void **state)
{
	(void)state;
	if (!have_root)
		skip();
	pid_t holder = netns_fixture_hold(30);
	assert_true(holder > 0);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "ip link add lk0 type veth peer name lk1 netns %d && "
		 "ip addr add 10.9.0.1/24 dev lk0 && ip link set lk0 up && "
		 "nsenter -t %d -n sh -c 'ip link set lo up && ip addr add 10.9.0.2/24 dev lk1 && "
		 "ip link set lk1 up' 2>&1",
		 (int)holder, (int)holder);
	assert_int_equal(system(cmd), 0);
	assert_true(answers_soon());

	char dir[] = "/tmp/test_net_ckpt.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[sizeof(dir) + 32];
	snprintf(path, sizeof(path), "%s/freezer.state", dir);
	write_state(path, "FROZEN\n");
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_net_lock_until_thaw(holder, dir, p[0], &err);
	if (r < 0)
		fail_msg("%s", cr_error_msg(&err));
	close(p[0]);
	assert_false(answers());

	/* Thawed while the dumper still works (CRIU does that): still locked. */
	write_state(path, "THAWED\n");
	assert_false(answers());
	write_state(path, "FROZEN\n");
	close(p[1]); /* the dumper is done */
	assert_false(answers());
	write_state(path, "THAWED\n");
	assert_true(answers_soon());

	assert_int_equal(cr_net_lock(holder, &err), 0);
	assert_int_equal(cr_net_lock(holder, &err), 0); /* not doubled: one unlock lifts it */
	assert_false(answers());
	assert_int_equal(cr_net_unlock(holder, &err), 0);
	assert_true(answers_soon());
	assert_int_equal(cr_net_unlock(holder, &err), 0);

	netns_fixture_release(holder);
	assert_int_equal(cr_net_unlock(holder, &err), 0);
	assert_true(cr_net_lock(holder, &err) < 0);
	cr_error_clear(&err);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(restore_inside),
		cmocka_unit_test(lock_until_thaw),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
