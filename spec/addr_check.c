/* The address rules of network entries (addr_check.h): pure functions over
 * the configuration and lists of addresses, so they are tested without a
 * network. */
#define LOG_PREFIX "net: "
#include "spec/addr_check.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"

int cr_net_netmask_prefix(const char *mask, unsigned *ret_plen)
{
	struct in_addr a;
	if (!mask || inet_pton(AF_INET, mask, &a) != 1)
		return -EINVAL;
	uint32_t m = ntohl(a.s_addr), inv = ~m;
	if (inv & (inv + 1)) /* ones, then zeros: ~m + 1 is a power of two */
		return -EINVAL;
	unsigned plen = 0;
	for (; m; m <<= 1)
		plen++;
	*ret_plen = plen;
	return 0;
}

static uint32_t mask_of(unsigned plen)
{
	return plen ? 0xffffffffU << (32 - plen) : 0;
}

/* Why the IPv4 address A (host order) can never be one interface's own
 * address, or NULL: 0/8 is "this host", 224/4 multicast, 240/4 reserved,
 * and 255.255.255.255 the limited broadcast. */
static const char *v4_not_unicast(uint32_t a)
{
	if (a == 0xffffffffU)
		return "the limited broadcast address";
	if ((a >> 24) == 0)
		return "in 0.0.0.0/8 (this host on this network)";
	if ((a >> 28) == 0xe)
		return "a multicast address (224.0.0.0/4)";
	if ((a >> 28) == 0xf)
		return "a reserved address (240.0.0.0/4)";
	return NULL;
}

static const char *ifname_of(const struct cr_netif *n)
{
	return n->interface ? n->interface : "(no interface)";
}

static int parse_v4(const struct cr_netif *n, struct cr_net_entry *e, struct cr_error *err)
{
	const char *ifn = ifname_of(n);
	char shown[CR_SHOWN_SIZE];
	if (!n->netmask)
		return cr_error_set(err, EINVAL, "%s: address %s needs a netmask", ifn, n->address);
	if (inet_pton(AF_INET, n->address, &e->addr4) != 1)
		return cr_error_set(err, EINVAL, "%s: invalid IPv4 address '%s'", ifn,
				    cr_shown(n->address, shown));
	if (cr_net_netmask_prefix(n->netmask, &e->plen4) < 0)
		return cr_error_set(err, EINVAL, "%s: invalid netmask '%s' for %s", ifn,
				    cr_shown(n->netmask, shown),
				    n->address);
	e->has_v4 = true;
	uint32_t a = ntohl(e->addr4.s_addr), m = mask_of(e->plen4);
	const char *why = v4_not_unicast(a);
	if (why)
		return cr_error_set(err, EINVAL, "%s: %s is %s, not an interface address", ifn,
				    n->address, why);
	if (e->plen4 < 31 && ((a & ~m) == 0 || (a & ~m) == ~m))
		return cr_error_set(err, EINVAL, "%s: %s is the %s address of its subnet /%u", ifn,
				    n->address, (a & ~m) == 0 ? "network" : "broadcast", e->plen4);
	if (n->broadcast) {
		if (inet_pton(AF_INET, n->broadcast, &e->bcast) != 1)
			return cr_error_set(err, EINVAL, "%s: invalid broadcast address '%s'", ifn,
					    cr_shown(n->broadcast, shown));
		if (e->plen4 >= 31)
			return cr_error_set(err, EINVAL, "%s: a /%u subnet has no broadcast address "
					    "(broadcast %s)", ifn, e->plen4, n->broadcast);
		if (ntohl(e->bcast.s_addr) != (a | ~m)) {
			struct in_addr want = {.s_addr = htonl(a | ~m)};
			char wbuf[INET_ADDRSTRLEN];
			return cr_error_set(err, EINVAL,
					    "%s: broadcast %s is not the broadcast address of %s/%u "
					    "(%s)",
					    ifn, n->broadcast, n->address, e->plen4,
					    inet_ntop(AF_INET, &want, wbuf, sizeof(wbuf)));
		}
		e->has_bcast = true;
	}
	return 0;
}

static int parse_v6(const struct cr_netif *n, struct cr_net_entry *e, struct cr_error *err)
{
	const char *ifn = ifname_of(n);
	char shown[CR_SHOWN_SIZE];
	if (inet_pton(AF_INET6, n->address6, &e->addr6) != 1)
		return cr_error_set(err, EINVAL, "%s: invalid IPv6 address '%s'", ifn,
				    cr_shown(n->address6, shown));
	char *end;
	errno = 0;
	long plen = n->prefixlen ? strtol(n->prefixlen, &end, 10) : -1;
	if (!n->prefixlen || errno || end == n->prefixlen || *end || plen < 1 || plen > 128)
		return cr_error_set(err, EINVAL, "%s: address6 %s needs a prefixlen in 1..128", ifn,
				    n->address6);
	if (IN6_IS_ADDR_MULTICAST(&e->addr6) || IN6_IS_ADDR_UNSPECIFIED(&e->addr6))
		return cr_error_set(err, EINVAL, "%s: %s is %s, not an interface address", ifn,
				    n->address6,
				    IN6_IS_ADDR_MULTICAST(&e->addr6) ? "a multicast address (ff00::/8)"
								     : "the unspecified address");
	e->plen6 = (unsigned)plen;
	e->has_v6 = true;
	return 0;
}

static int parse_gateway(const struct cr_netif *n, struct cr_net_entry *e, struct cr_error *err)
{
	const char *ifn = ifname_of(n);
	if (inet_pton(AF_INET, n->gateway, &e->gw4) == 1) {
		if (!e->has_v4)
			return cr_error_set(err, EINVAL, "%s: IPv4 gateway %s needs an IPv4 address=",
					    ifn, n->gateway);
		uint32_t m = mask_of(e->plen4);
		if ((ntohl(e->gw4.s_addr) & m) != (ntohl(e->addr4.s_addr) & m))
			return cr_error_set(err, EINVAL, "%s: gateway %s is not on the subnet of %s/%u",
					    ifn, n->gateway, n->address, e->plen4);
		if (e->gw4.s_addr == e->addr4.s_addr)
			return cr_error_set(err, EINVAL, "%s: gateway %s is the partition's own address",
					    ifn, n->gateway);
		uint32_t g = ntohl(e->gw4.s_addr);
		const char *why = v4_not_unicast(g);
		if (!why && e->plen4 < 31 && ((g & ~m) == 0 || (g & ~m) == ~m))
			why = (g & ~m) == 0 ? "the network address of its subnet"
					    : "the broadcast address of its subnet";
		if (why)
			return cr_error_set(err, EINVAL, "%s: gateway %s is %s", ifn, n->gateway, why);
		e->gw_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, n->gateway, &e->gw6) == 1) {
		if (!e->has_v6)
			return cr_error_set(err, EINVAL, "%s: IPv6 gateway %s needs an address6=", ifn,
					    n->gateway);
		if (!memcmp(&e->gw6, &e->addr6, sizeof(e->gw6)))
			return cr_error_set(err, EINVAL, "%s: gateway %s is the partition's own address",
					    ifn, n->gateway);
		if (IN6_IS_ADDR_MULTICAST(&e->gw6) || IN6_IS_ADDR_UNSPECIFIED(&e->gw6))
			return cr_error_set(err, EINVAL, "%s: gateway %s is not a unicast address",
					    ifn, n->gateway);
		e->gw_family = AF_INET6;
		return 0;
	}
	char shown[CR_SHOWN_SIZE];
	return cr_error_set(err, EINVAL, "%s: invalid gateway '%s'", ifn, cr_shown(n->gateway, shown));
}

int cr_net_parse_entry(const struct cr_netif *n, struct cr_net_entry *ret, struct cr_error *err)
{
	struct cr_net_entry e;
	memset(&e, 0, sizeof(e));
	char shown[CR_SHOWN_SIZE];
	if (!n->interface || !*n->interface)
		return cr_error_set(err, EINVAL, "a network entry has no interface= (the host "
				    "interface whose subnet it joins)");
	if (strlen(n->interface) >= IFNAMSIZ)
		return cr_error_set(err, EINVAL, "invalid interface name '%s'",
				    cr_shown(n->interface, shown));
	if (!n->address && !n->address6)
		return cr_error_set(err, EINVAL, "%s: the network entry has no address= or address6=",
				    n->interface);
	int r;
	if ((n->address && (r = parse_v4(n, &e, err)) < 0) ||
	    (n->address6 && (r = parse_v6(n, &e, err)) < 0) ||
	    (n->gateway && (r = parse_gateway(n, &e, err)) < 0))
		return r;
	*ret = e;
	return 0;
}

/* The addresses of CFG (at most two per entry) with their entry's interface. */
static int collect(const struct cr_wpar_config *cfg, struct cr_net_addr **ret, size_t *ret_n,
		   struct cr_error *err)
{
	struct cr_net_addr *list = calloc(cfg->n_netifs * 2 + 1, sizeof(*list));
	if (!list)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_netifs; i++) {
		struct cr_net_entry e;
		int r = cr_net_parse_entry(&cfg->netifs[i], &e, err);
		if (r < 0) {
			free(list);
			return r;
		}
		if (e.has_v4) {
			list[n].family = AF_INET;
			memcpy(list[n].bytes, &e.addr4, 4);
			snprintf(list[n++].ifname, IFNAMSIZ, "%s", cfg->netifs[i].interface);
		}
		if (e.has_v6) {
			list[n].family = AF_INET6;
			memcpy(list[n].bytes, &e.addr6, 16);
			snprintf(list[n++].ifname, IFNAMSIZ, "%s", cfg->netifs[i].interface);
		}
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static bool same(const struct cr_net_addr *a, const struct cr_net_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}

static const char *text(const struct cr_net_addr *a, char *buf, size_t size)
{
	return inet_ntop(a->family, a->bytes, buf, (socklen_t)size) ? buf : "?";
}

/* The first address of A that is also in B (for A == B, a later one):
 * true with its positions, false when they share none. */
static bool find_shared(const struct cr_net_addr *a, size_t na, const struct cr_net_addr *b,
			size_t nb, size_t *ret_i, size_t *ret_j)
{
	for (size_t i = 0; i < na; i++)
		for (size_t j = a == b ? i + 1 : 0; j < nb; j++)
			if (same(&a[i], &b[j])) {
				*ret_i = i;
				*ret_j = j;
				return true;
			}
	return false;
}

int cr_net_check_entries(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	struct cr_net_addr *mine = NULL;
	size_t n = 0, i, j;
	char buf[INET6_ADDRSTRLEN];
	int r = collect(cfg, &mine, &n, err);
	if (r == 0 && find_shared(mine, n, mine, n, &i, &j))
		r = cr_error_set(err, EINVAL, "%s: address %s is given twice", mine[j].ifname,
				 text(&mine[j], buf, sizeof(buf)));
	free(mine);
	return r;
}

int cr_net_check_host(const struct cr_wpar_config *cfg, const struct cr_net_addr *host, size_t n,
		      struct cr_error *err)
{
	struct cr_net_addr *mine = NULL;
	size_t m = 0, i, j;
	char buf[INET6_ADDRSTRLEN];
	int r = collect(cfg, &mine, &m, err);
	if (r == 0 && find_shared(mine, m, host, n, &i, &j))
		r = cr_error_set(err, EADDRINUSE,
				 "%s: address %s is already an address of this host (on %s)",
				 mine[i].ifname, text(&mine[i], buf, sizeof(buf)),
				 host[j].ifname[0] ? host[j].ifname : "an interface");
	free(mine);
	return r;
}

int cr_net_check_other(const struct cr_wpar_config *cfg, const struct cr_wpar_config *other,
		       struct cr_error *err)
{
	struct cr_net_addr *mine = NULL;
	size_t m = 0, i, j;
	char buf[INET6_ADDRSTRLEN];
	int r = collect(cfg, &mine, &m, err);
	/* OTHER's entries one by one: a broken one can never hold its address. */
	for (size_t k = 0; r == 0 && k < other->n_netifs; k++) {
		struct cr_wpar_config one = {.netifs = &other->netifs[k], .n_netifs = 1};
		struct cr_net_addr *theirs = NULL;
		size_t n = 0;
		if (collect(&one, &theirs, &n, NULL) < 0)
			continue;
		if (find_shared(mine, m, theirs, n, &i, &j))
			r = cr_error_set(err, EADDRINUSE, "%s: address %s is already used by partition %s",
					 mine[i].ifname, text(&mine[i], buf, sizeof(buf)),
					 other->name ? other->name : "?");
		free(theirs);
	}
	free(mine);
	return r;
}
