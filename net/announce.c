/* cr_net_announce: tell the LAN that a partition's addresses are here now
 * (at start, and again after a relocation): a gratuitous ARP per IPv4
 * address, an unsolicited neighbour advertisement per IPv6 address. */
#define LOG_PREFIX "net: "
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/icmp6.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"
#include "net/nl_internal.h"
#include "spec/addr_check.h"
#include "util/cleanup.h"
#include "util/log.h"

static int write_sysctl(const char *fmt, const char *ifname, bool optional, struct cr_error *err)
{
	char path[128];
	snprintf(path, sizeof(path), fmt, ifname);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && optional && errno == ENOENT)
		return 0;
	if (fd < 0)
		return cr_error_errno(err, "cannot open %s", path);
	ssize_t n = write(fd, "1", 1);
	int saved = errno;
	close(fd);
	errno = saved;
	return n == 1 ? 0 : cr_error_errno(err, "cannot write %s", path);
}

int cr_net_set_notify(const char *ifname, struct cr_error *err)
{
	int r = write_sysctl("/proc/sys/net/ipv4/conf/%s/arp_notify", ifname, false, err);
	if (r == 0)
		r = write_sysctl("/proc/sys/net/ipv6/conf/%s/ndisc_notify", ifname, true, err);
	return r;
}

/* An ARP request for our own address, to everyone: neighbours that know
 * the address update their caches with MAC. */
static int send_garp(int ifindex, const char *ifname, const uint8_t mac[6],
		     const struct in_addr *addr, struct cr_error *err)
{
	cleanup_close int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0)
		return cr_error_errno(err, "cannot open a packet socket on %s", ifname);
	uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1}; /* Ethernet, IPv4, request */
	memcpy(arp + 8, mac, 6);
	memcpy(arp + 14, addr, 4); /* sender: us */
	memcpy(arp + 24, addr, 4); /* target: us too, the target MAC left zero */
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex,
		.sll_halen = 6,
		.sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	};
	if (sendto(fd, arp, sizeof(arp), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0) {
		char text[INET_ADDRSTRLEN];
		return cr_error_errno(err, "cannot announce %s on %s",
				      inet_ntop(AF_INET, addr, text, sizeof(text)), ifname);
	}
	return 0;
}

/* A neighbour advertisement for ADDR to all nodes, overriding caches. */
static int send_na(int ifindex, const char *ifname, const uint8_t mac[6],
		   const struct in6_addr *addr, struct cr_error *err)
{
	char text[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, addr, text, sizeof(text));
	cleanup_close int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return cr_error_errno(err, "cannot open an ICMPv6 socket on %s", ifname);
	int hops = 255; /* receivers drop neighbour discovery that crossed a router */
	struct sockaddr_in6 from = {.sin6_family = AF_INET6, .sin6_addr = *addr};
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0)
		return cr_error_errno(err, "cannot prepare the announcement of %s on %s", text, ifname);
	struct {
		struct nd_neighbor_advert na;
		struct nd_opt_hdr opt;
		uint8_t mac[6];
	} __attribute__((packed)) msg;
	memset(&msg, 0, sizeof(msg));
	msg.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	msg.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	msg.na.nd_na_target = *addr;
	msg.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	msg.opt.nd_opt_len = 1; /* in units of 8 bytes */
	memcpy(msg.mac, mac, 6);
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex};
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	if (sendto(fd, &msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
		return cr_error_errno(err, "cannot announce %s on %s", text, ifname);
	return 0;
}

static int announce_entry(struct nl_sock *sk, const struct cr_wpar_config *cfg, size_t index,
			  struct cr_error *err)
{
	struct cr_net_entry e;
	int r = cr_net_parse_entry(&cfg->netifs[index], &e, err);
	if (r < 0)
		return r;
	char name[IFNAMSIZ];
	cr_net_inside_name(cfg, index, name);
	struct rtnl_link *link = NULL;
	if ((r = rtnl_link_get_kernel(sk, 0, name, &link)) < 0)
		return cr_nl_error(err, r, "cannot find %s in the partition", name);
	struct nl_addr *lladdr = rtnl_link_get_addr(link);
	uint8_t mac[6];
	if (!lladdr || nl_addr_get_len(lladdr) != sizeof(mac)) {
		rtnl_link_put(link);
		return cr_error_set(err, EINVAL, "%s has no Ethernet address", name);
	}
	memcpy(mac, nl_addr_get_binary_addr(lladdr), sizeof(mac));
	int ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	if ((r = cr_net_set_notify(name, err)) < 0)
		return r;
	if (e.has_v4 && (r = send_garp(ifindex, name, mac, &e.addr4, err)) < 0)
		return r;
	if (e.has_v6 && (r = send_na(ifindex, name, mac, &e.addr6, err)) < 0)
		return r;
	return 0;
}

int cr_net_announce(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	if (cfg->n_netifs == 0)
		return 0;
	struct nl_sock *sk = NULL;
	int r = cr_nl_open(&sk, err);
	for (size_t i = 0; r == 0 && i < cfg->n_netifs; i++)
		if (!cr_net_entry_on_loopback(&cfg->netifs[i]))
			r = announce_entry(sk, cfg, i, err);
	nl_socket_free(sk);
	return r < 0 ? cr_error_wrap(err, "announcing the addresses of %s", cfg->name) : 0;
}

static int announce_cb(void *data, struct cr_error *err)
{
	return cr_net_announce(data, err);
}

int cr_net_announce_in(const struct cr_wpar_config *cfg, pid_t init_pid, struct cr_error *err)
{
	return cr_net_in_netns(init_pid, announce_cb, (void *)cfg, err);
}
