/* The address rules of network entries, without touching the system:
 * parsing an entry, and the conflicts cr_partition_net_validate refuses
 * (addresses given twice, held by this host, or by another partition). */
#ifndef CORRAL_SPEC_ADDR_CHECK_H
#define CORRAL_SPEC_ADDR_CHECK_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "spec/config.h"
#include "util/error.h"

/* One address: AF_INET (4 bytes used) or AF_INET6, and where it was seen. */
struct cr_net_addr {
	int family;
	unsigned char bytes[16];
	char ifname[IFNAMSIZ]; /* the host interface holding it ("" when unknown) */
};

/* A network entry in binary form. */
struct cr_net_entry {
	bool has_v4;
	struct in_addr addr4;
	unsigned plen4;
	bool has_bcast;
	struct in_addr bcast;
	bool has_v6;
	struct in6_addr addr6;
	unsigned plen6;
	int gw_family; /* 0 (none), AF_INET or AF_INET6 */
	struct in_addr gw4;
	struct in6_addr gw6;
};

/* The prefix length of a dotted netmask; -EINVAL unless its ones are
 * contiguous. */
int cr_net_netmask_prefix(const char *mask, unsigned *ret_plen);

/* Parse entry N (its interface and addresses) into *RET; -EINVAL naming the
 * interface and the bad value. The gateway must be of a family the entry
 * has an address of; an IPv4 gateway must be on the entry's subnet, and no
 * address may be its subnet's network or broadcast address. */
int cr_net_parse_entry(const struct cr_netif *n, struct cr_net_entry *ret, struct cr_error *err);

/* Every entry of CFG parses and no address is given twice. */
int cr_net_check_entries(const struct cr_wpar_config *cfg, struct cr_error *err);

/* -EADDRINUSE when an address of CFG is one of HOST's N addresses. */
int cr_net_check_host(const struct cr_wpar_config *cfg, const struct cr_net_addr *host, size_t n,
		      struct cr_error *err);

/* -EADDRINUSE when CFG and partition OTHER share an address. Entries of
 * OTHER that do not parse are ignored (they can never be configured). */
int cr_net_check_other(const struct cr_wpar_config *cfg, const struct cr_wpar_config *other,
		       struct cr_error *err);

#endif
