/* Network features CRIU uses: nftables (to lock a partition's network while
 * it is dumped) and TCP repair mode (to dump established connections). */
#include "check/probes.h"

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#endif

#define NETLINK_TIMEOUT_MS 1000

static const char *nft_binary(void)
{
	static const char *const paths[] = {"/usr/sbin/nft", "/sbin/nft", "/usr/local/sbin/nft",
					    "/usr/bin/nft"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* Ask nf_tables for its generation: 0 when it answers, else a positive errno. */
static int ask_nf_tables(void)
{
	cleanup_close int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return errno;
	struct timeval tv = {NETLINK_TIMEOUT_MS / 1000, (NETLINK_TIMEOUT_MS % 1000) * 1000};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return errno;
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nf;
	} req = {
		.nh = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		       .nlmsg_seq = 1},
		.nf = {.nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0},
	};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return errno;
	union {
		char buf[8192];
		struct nlmsghdr align;
	} u;
	ssize_t n = recv(fd, u.buf, sizeof(u.buf), 0);
	if (n < 0)
		return errno == EAGAIN ? ETIMEDOUT : errno;
	unsigned int len = (unsigned int)n;
	for (struct nlmsghdr *h = &u.align; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
			return 0;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)))
				return e->error < 0 ? -e->error : 0;
		}
	}
	return EPROTO;
}

static int probe_nftables(struct cr_host_facts *f, struct cr_error *err)
{
	const char *nft = nft_binary();
	char bin[64];
	snprintf(bin, sizeof(bin), "%s%s", nft ? "; nft at " : "; no nft binary", nft ? nft : "");
	int e = ask_nf_tables();
	if (e == 0)
		return CR_PROBE_SET(f, CR_PROBE_NFTABLES, CR_PROBE_OK,
				    "nf_tables answers over netlink%s", bin);
	if (e == EPERM && geteuid() != 0)
		return CR_PROBE_SET(f, CR_PROBE_NFTABLES, CR_PROBE_SKIPPED,
				    "asking nf_tables needs root%s", bin);
	return CR_PROBE_SET(f, CR_PROBE_NFTABLES, CR_PROBE_MISSING, "nf_tables over netlink: %s%s",
			    strerror(e), bin);
}

static int probe_tcp_repair(struct cr_host_facts *f, struct cr_error *err)
{
	cleanup_close int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CR_PROBE_SET(f, CR_PROBE_TCP_REPAIR, CR_PROBE_MISSING, "no TCP socket: %s",
				    strerror(errno));
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &one, sizeof(one)) == 0)
		return CR_PROBE_SET(f, CR_PROBE_TCP_REPAIR, CR_PROBE_OK, "setsockopt(TCP_REPAIR) works");
	if ((errno == EPERM || errno == EACCES) && geteuid() != 0)
		return CR_PROBE_SET(f, CR_PROBE_TCP_REPAIR, CR_PROBE_SKIPPED,
				    "TCP_REPAIR needs root (CAP_NET_ADMIN)");
	return CR_PROBE_SET(f, CR_PROBE_TCP_REPAIR, CR_PROBE_MISSING, "setsockopt(TCP_REPAIR): %s",
			    strerror(errno));
}

int cr_probe_network(struct cr_host_facts *f, struct cr_error *err)
{
	int r = probe_nftables(f, err);
	return r < 0 ? r : probe_tcp_repair(f, err);
}
