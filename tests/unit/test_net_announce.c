/* Announcements from outside a network namespace (what a relocation does
 * after a restore): cr_net_announce_in puts a gratuitous ARP and an
 * unsolicited neighbour advertisement for the partition's addresses on the
 * wire, seen from the other end of its veth. Addresses set by
 * cr_net_configure_inside. Needs root (namespaces); skipped otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"
#include "net/nl_internal.h"
#include "spec/config.h"
#include "tests/unit/test_netns_fixture.h"

static const uint8_t mac[6] = {0x02, 0x13, 0, 0, 0, 0x10};

static int open_sniffer(void *data, struct cr_error *err)
{
	int *fd = data;
	*fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (*fd < 0)
		return cr_error_errno(err, "packet socket");
	struct sockaddr_ll at = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = (int)if_nametoindex("peer0")};
	if (bind(*fd, (struct sockaddr *)&at, sizeof(at)) < 0)
		return cr_error_errno(err, "bind to peer0");
	return 0;
}

static int configure(void *data, struct cr_error *err)
{
	return cr_net_configure_inside(data, err);
}

/* Frames on FD within 2 s: which announcements of our addresses came. */
static void sniff(int fd, bool *ret_arp, bool *ret_na)
{
	struct in_addr a4;
	struct in6_addr a6;
	inet_pton(AF_INET, "10.213.9.10", &a4);
	inet_pton(AF_INET6, "fd00:213:9::10", &a6);
	for (int i = 0; i < 100 && !(*ret_arp && *ret_na); i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 2000) <= 0)
			break;
		uint8_t f[256];
		ssize_t n = recv(fd, f, sizeof(f), 0);
		if (n < 14 || memcmp(f + 6, mac, 6))
			continue;
		uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
		/* ARP request, sender and target our address, sender MAC ours. */
		if (type == ETH_P_ARP && n >= 42 && f[21] == 1 && !memcmp(f + 22, mac, 6) &&
		    !memcmp(f + 28, &a4, 4) && !memcmp(f + 38, &a4, 4))
			*ret_arp = true;
		/* ICMPv6 (58), hop limit 255, type 136 for our address, override. */
		if (type == ETH_P_IPV6 && n >= 14 + 40 + 32 && f[20] == 58 && f[21] == 255 &&
		    f[54] == 136 && (f[58] & 0x20) && !memcmp(f + 62, &a6, 16) &&
		    !memcmp(f + 80, mac, 6))
			*ret_na = true;
	}
}

static void announce_from_outside(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	pid_t holder = netns_fixture_hold(60);
	if (holder < 0)
		skip();
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "nsenter -t %d -n sh -c 'ip link add eth0 type veth peer name peer0 && "
		 "ip link set eth0 address 02:13:00:00:00:10 && ip link set peer0 up' 2>&1",
		 (int)holder);
	assert_int_equal(system(cmd), 0);

	struct cr_wpar_config c;
	cr_config_init(&c);
	c.name = strdup("web");
	struct cr_netif *n = cr_config_add_netif(&c);
	n->interface = strdup("br0");
	n->address = strdup("10.213.9.10");
	n->netmask = strdup("255.255.255.0");
	n->address6 = strdup("fd00:213:9::10");
	n->prefixlen = strdup("64");
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_net_in_netns(holder, configure, &c, &err);
	if (r < 0)
		fail_msg("%s", cr_error_msg(&err));

	int fd = -1;
	assert_int_equal(cr_net_in_netns(holder, open_sniffer, &fd, &err), 0);
	bool arp = false, na = false;
	r = cr_net_announce_in(&c, holder, &err);
	if (r < 0)
		fail_msg("%s", cr_error_msg(&err));
	sniff(fd, &arp, &na);
	assert_true(arp);
	assert_true(na);

	/* Back in our own namespace: the partition's eth0 is not here. */
	assert_int_equal(if_nametoindex("peer0"), 0);
	close(fd);
	netns_fixture_release(holder);
	assert_int_equal(cr_net_announce_in(&c, holder, &err), -ENOENT);
	cr_error_clear(&err);
	cr_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(announce_from_outside),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
