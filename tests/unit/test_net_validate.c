/* The network pre-flight: netmask and entry parsing (each rejection), the
 * conflicts refused (an address given twice, held by this host, held by
 * another partition), cr_partition_net_validate against this host's real interfaces,
 * and the names and hardware addresses a partition's links get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "net/nl_internal.h"
#include "partition/lifecycle.h"
#include "spec/addr_check.h"
#include "spec/config.h"
#include "util/fsutil.h"

static void netmask_prefix(void **state)
{
	(void)state;
	unsigned plen = 99;
	assert_int_equal(cr_net_netmask_prefix("255.255.255.0", &plen), 0);
	assert_int_equal(plen, 24);
	assert_int_equal(cr_net_netmask_prefix("255.255.255.255", &plen), 0);
	assert_int_equal(plen, 32);
	assert_int_equal(cr_net_netmask_prefix("0.0.0.0", &plen), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(cr_net_netmask_prefix("255.255.240.0", &plen), 0);
	assert_int_equal(plen, 20);
	assert_int_equal(cr_net_netmask_prefix("255.0.255.0", &plen), -EINVAL);
	assert_int_equal(cr_net_netmask_prefix("0.255.255.255", &plen), -EINVAL);
	assert_int_equal(cr_net_netmask_prefix("255.255.255", &plen), -EINVAL);
	assert_int_equal(cr_net_netmask_prefix(NULL, &plen), -EINVAL);
	assert_int_equal(plen, 20); /* untouched on failure */
}

static void set(char **field, const char *v)
{
	free(*field);
	*field = v ? strdup(v) : NULL;
}

/* One entry: interface, address, netmask, address6, prefixlen, gateway. */
static void fill(struct cr_netif *n, const char *ifn, const char *a, const char *m,
		 const char *a6, const char *plen, const char *gw)
{
	set(&n->interface, ifn);
	set(&n->address, a);
	set(&n->netmask, m);
	set(&n->address6, a6);
	set(&n->prefixlen, plen);
	set(&n->gateway, gw);
}

static void entry_rejected(const char *ifn, const char *a, const char *m, const char *a6,
			   const char *plen, const char *gw, const char *msg)
{
	struct cr_netif n = {0};
	fill(&n, ifn, a, m, a6, plen, gw);
	struct cr_net_entry e;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_net_parse_entry(&n, &e, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
	cr_error_clear(&err);
	cr_netif_free(&n);
}

static void entry_parsing(void **state)
{
	(void)state;
	struct cr_netif n = {0};
	fill(&n, "br0", "10.213.1.10", "255.255.255.0", "fd00:213::10", "64", "10.213.1.1");
	set(&n.broadcast, "10.213.1.255");
	struct cr_net_entry e;
	assert_int_equal(cr_net_parse_entry(&n, &e, NULL), 0);
	assert_true(e.has_v4 && e.has_v6 && e.has_bcast);
	assert_int_equal(e.plen4, 24);
	assert_int_equal(e.plen6, 64);
	assert_int_equal(e.gw_family, AF_INET);
	assert_int_equal(ntohl(e.addr4.s_addr), 0x0ad5010a);
	assert_int_equal(ntohl(e.gw4.s_addr), 0x0ad50101);
	set(&n.gateway, "fe80::1"); /* a link-local IPv6 gateway is fine */
	assert_int_equal(cr_net_parse_entry(&n, &e, NULL), 0);
	assert_int_equal(e.gw_family, AF_INET6);
	cr_netif_free(&n);

	entry_rejected(NULL, "10.0.0.5", "255.0.0.0", NULL, NULL, NULL,
		       "a network entry has no interface= (the host interface whose subnet it joins)");
	entry_rejected("abcdefghijklmnop", "10.0.0.5", "255.0.0.0", NULL, NULL, NULL,
		       "invalid interface name 'abcdefghijklmnop'");
	entry_rejected("br0", NULL, NULL, NULL, NULL, NULL,
		       "br0: the network entry has no address= or address6=");
	entry_rejected("br0", "10.0.0.5", NULL, NULL, NULL, NULL, "br0: address 10.0.0.5 needs a netmask");
	entry_rejected("br0", "10.0.0.256", "255.0.0.0", NULL, NULL, NULL,
		       "br0: invalid IPv4 address '10.0.0.256'");
	entry_rejected("br0", "10.0.0.5", "255.0.255.0", NULL, NULL, NULL,
		       "br0: invalid netmask '255.0.255.0' for 10.0.0.5");
	entry_rejected("br0", "10.0.0.0", "255.255.255.0", NULL, NULL, NULL,
		       "br0: 10.0.0.0 is the network address of its subnet /24");
	entry_rejected("br0", "10.0.0.255", "255.255.255.0", NULL, NULL, NULL,
		       "br0: 10.0.0.255 is the broadcast address of its subnet /24");
	entry_rejected("br0", NULL, NULL, "fd00::g", "64", NULL, "br0: invalid IPv6 address 'fd00::g'");
	entry_rejected("br0", NULL, NULL, "fd00::5", "129", NULL,
		       "br0: address6 fd00::5 needs a prefixlen in 1..128");
	entry_rejected("br0", NULL, NULL, "fd00::5", NULL, NULL,
		       "br0: address6 fd00::5 needs a prefixlen in 1..128");
	entry_rejected("br0", "10.0.0.5", "255.255.255.0", NULL, NULL, "10.0.1.1",
		       "br0: gateway 10.0.1.1 is not on the subnet of 10.0.0.5/24");
	entry_rejected("br0", "10.0.0.5", "255.255.255.0", NULL, NULL, "10.0.0.5",
		       "br0: gateway 10.0.0.5 is the partition's own address");
	entry_rejected("br0", "10.0.0.5", "255.255.255.0", NULL, NULL, "fd00::1",
		       "br0: IPv6 gateway fd00::1 needs an address6=");
	entry_rejected("br0", NULL, NULL, "fd00::5", "64", "10.0.0.1",
		       "br0: IPv4 gateway 10.0.0.1 needs an IPv4 address=");
	entry_rejected("br0", "10.0.0.5", "255.255.255.0", NULL, NULL, "router",
		       "br0: invalid gateway 'router'");

	/* Addresses no interface can hold, and broadcasts off the subnet (item 11). */
	entry_rejected("br0", "224.0.0.5", "255.255.255.0", NULL, NULL, NULL,
		       "br0: 224.0.0.5 is a multicast address (224.0.0.0/4), not an interface "
		       "address");
	entry_rejected("br0", "239.255.255.250", "255.0.0.0", NULL, NULL, NULL,
		       "br0: 239.255.255.250 is a multicast address (224.0.0.0/4), not an interface "
		       "address");
	entry_rejected("br0", "255.255.255.255", "255.255.255.255", NULL, NULL, NULL,
		       "br0: 255.255.255.255 is the limited broadcast address, not an interface "
		       "address");
	entry_rejected("br0", "250.1.2.3", "255.255.255.0", NULL, NULL, NULL,
		       "br0: 250.1.2.3 is a reserved address (240.0.0.0/4), not an interface address");
	entry_rejected("br0", "0.0.0.5", "255.255.255.0", NULL, NULL, NULL,
		       "br0: 0.0.0.5 is in 0.0.0.0/8 (this host on this network), not an interface "
		       "address");
	entry_rejected("br0", NULL, NULL, "ff02::1", "64", NULL,
		       "br0: ff02::1 is a multicast address (ff00::/8), not an interface address");
	entry_rejected("br0", NULL, NULL, "::", "64", NULL,
		       "br0: :: is the unspecified address, not an interface address");
	entry_rejected("br0", "10.0.0.5", "255.0.0.0", NULL, NULL, "10.255.255.255",
		       "br0: gateway 10.255.255.255 is the broadcast address of its subnet");
	entry_rejected("br0", NULL, NULL, "fd00::5", "64", "ff02::2",
		       "br0: gateway ff02::2 is not a unicast address");
	/* A long value is cut in the error, a control byte escaped. */
	entry_rejected("br0", "10.0.0.5", "255.255.255.0", NULL, NULL,
		       "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg",
		       "br0: invalid gateway "
		       "'gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg...'");
	entry_rejected("br0", "10.0.0.5\n", "255.255.255.0", NULL, NULL, NULL,
		       "br0: invalid IPv4 address '10.0.0.5\\n'");
	struct cr_netif b = {0};
	fill(&b, "br0", "10.0.0.5", "255.255.255.0", NULL, NULL, NULL);
	struct cr_error err = CR_ERROR_INIT;
	const char *off[] = {"10.0.1.255", "255.255.255.255", "10.0.0.0", "10.0.0.7", "224.0.0.1"};
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		set(&b.broadcast, off[i]);
		assert_int_equal(cr_net_parse_entry(&b, &e, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "is not the broadcast address of 10.0.0.5/24 "
						"(10.0.0.255)"));
		cr_error_clear(&err);
	}
	set(&b.broadcast, "10.0.0.255");
	assert_int_equal(cr_net_parse_entry(&b, &e, &err), 0);
	set(&b.netmask, "255.255.255.254");
	set(&b.address, "10.0.0.4");
	set(&b.broadcast, "10.0.0.5");
	assert_int_equal(cr_net_parse_entry(&b, &e, &err), -EINVAL);
	assert_string_equal(err.msg, "br0: a /31 subnet has no broadcast address (broadcast 10.0.0.5)");
	cr_error_clear(&err);
	cr_netif_free(&b);
}

static void config_with(struct cr_wpar_config *c, const char *name)
{
	cr_config_init(c);
	c->name = strdup(name);
}

static void conflicts(void **state)
{
	(void)state;
	struct cr_wpar_config a, b;
	struct cr_error err = CR_ERROR_INIT;
	config_with(&a, "web");
	config_with(&b, "shop");
	fill(cr_config_add_netif(&a), "br0", "10.213.1.10", "255.255.255.0", NULL, NULL, NULL);
	fill(cr_config_add_netif(&a), "br1", NULL, NULL, "fd00:213::10", "64", NULL);
	assert_int_equal(cr_net_check_entries(&a, NULL), 0);

	/* The same IPv6 address spelt another way is the same address. */
	fill(cr_config_add_netif(&b), "br1", NULL, NULL, "fd00:213:0::0010", "64", NULL);
	assert_int_equal(cr_net_check_other(&a, &b, &err), -EADDRINUSE);
	assert_string_equal(err.msg, "br1: address fd00:213::10 is already used by partition shop");
	cr_error_clear(&err);
	set(&b.netifs[0].address6, "fd00:213::11");
	assert_int_equal(cr_net_check_other(&a, &b, NULL), 0);
	/* Another partition's broken entry can never hold its address. */
	fill(cr_config_add_netif(&b), "br0", "10.213.1.10", "255.0.255.0", NULL, NULL, NULL);
	assert_int_equal(cr_net_check_other(&a, &b, NULL), 0);
	set(&b.netifs[1].netmask, "255.255.0.0");
	assert_int_equal(cr_net_check_other(&a, &b, &err), -EADDRINUSE);
	assert_string_equal(err.msg, "br0: address 10.213.1.10 is already used by partition shop");
	cr_error_clear(&err);

	/* Twice in one partition. */
	fill(cr_config_add_netif(&a), "br2", "10.213.1.10", "255.255.0.0", NULL, NULL, NULL);
	assert_int_equal(cr_net_check_entries(&a, &err), -EINVAL);
	assert_string_equal(err.msg, "br2: address 10.213.1.10 is given twice");
	cr_error_clear(&err);
	cr_config_remove_netif(&a, 2);

	/* The host's own addresses. */
	struct cr_net_addr host[2] = {{.family = AF_INET, .ifname = "eth0"},
				      {.family = AF_INET6, .ifname = "eth1"}};
	inet_pton(AF_INET, "10.213.1.11", host[0].bytes);
	inet_pton(AF_INET6, "fd00:213::10", host[1].bytes);
	assert_int_equal(cr_net_check_host(&a, host, 1, NULL), 0);
	assert_int_equal(cr_net_check_host(&a, host, 2, &err), -EADDRINUSE);
	assert_string_equal(err.msg,
			    "br1: address fd00:213::10 is already an address of this host (on eth1)");
	cr_error_clear(&err);
	cr_config_free(&a);
	cr_config_free(&b);
}

/* cr_partition_net_validate against this host: loopback exists and holds 127.0.0.1. */
static void validate_on_this_host(void **state)
{
	(void)state;
	char root[] = "/tmp/corral-netval.XXXXXX";
	assert_non_null(mkdtemp(root));
	setenv("CORRAL_ROOT", root, 1);
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	config_with(&c, "web");
	assert_int_equal(cr_partition_net_validate(&c, "web", NULL), 0); /* no entries, nothing to check */
	fill(cr_config_add_netif(&c), "lo", "127.0.0.9", "255.0.0.0", NULL, NULL, NULL);
	assert_int_equal(cr_partition_net_validate(&c, "web", &err), 0);
	set(&c.netifs[0].address, "127.0.0.1");
	assert_int_equal(cr_partition_net_validate(&c, "web", &err), -EADDRINUSE);
	assert_string_equal(err.msg, "lo: address 127.0.0.1 is already an address of this host (on lo)");
	cr_error_clear(&err);
	fill(&c.netifs[0], "nosuch-corral0", "10.213.9.9", "255.255.255.0", NULL, NULL, NULL);
	assert_int_equal(cr_partition_net_validate(&c, "web", &err), -ENODEV);
	assert_string_equal(err.msg, "interface nosuch-corral0 (for 10.213.9.9) does not exist on this host");
	cr_error_clear(&err);
	cr_config_free(&c);
	unsetenv("CORRAL_ROOT");
	cr_rm_rf(root, NULL);
}

static void inside_names_and_macs(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	config_with(&c, "web");
	fill(cr_config_add_netif(&c), "br0", "10.0.0.5", "255.0.0.0", NULL, NULL, NULL);
	fill(cr_config_add_netif(&c), "lo", "127.0.0.9", "255.0.0.0", NULL, NULL, NULL);
	fill(cr_config_add_netif(&c), "eth3", "10.1.0.5", "255.0.0.0", NULL, NULL, NULL);
	char name[IFNAMSIZ];
	cr_net_inside_name(&c, 0, name);
	assert_string_equal(name, "eth0");
	cr_net_inside_name(&c, 1, name);
	assert_string_equal(name, "lo");
	cr_net_inside_name(&c, 2, name);
	assert_string_equal(name, "eth1");

	uint8_t m0[6], m0again[6], m1[6], other[6];
	cr_net_entry_mac("web", 0, m0);
	cr_net_entry_mac("web", 0, m0again);
	cr_net_entry_mac("web", 1, m1);
	cr_net_entry_mac("shop", 0, other);
	assert_memory_equal(m0, m0again, 6);
	assert_memory_not_equal(m0, m1, 6);
	assert_memory_not_equal(m0, other, 6);
	assert_int_equal(m0[0], 0x02); /* locally administered, unicast */
	cr_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netmask_prefix),
		cmocka_unit_test(entry_parsing),
		cmocka_unit_test(conflicts),
		cmocka_unit_test(validate_on_this_host),
		cmocka_unit_test(inside_names_and_macs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
