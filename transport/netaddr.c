/* Peer addresses: IP literals with an optional port, resolved without any
 * name service (which could hang without a timeout). */
#include "transport/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

static int parse_port(const char *text, const char *addr, int *ret, struct cr_error *err)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > 65535)
		return cr_error_set(err, EINVAL, "address '%s': port must be 1 to 65535", addr);
	*ret = (int)v;
	return 0;
}

int cr_addr_split(const char *addr, int default_port, char **ret_host, int *ret_port,
		  struct cr_error *err)
{
	cleanup_free char *host = NULL;
	int port = default_port;
	const char *colon = strrchr(addr, ':');
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || (close[1] && close[1] != ':'))
			return cr_error_set(err, EINVAL, "address '%s': expected [IPV6]:PORT", addr);
		host = strndup(addr + 1, (size_t)(close - addr - 1));
		if (close[1] == ':' && parse_port(close + 2, addr, &port, err) < 0)
			return -EINVAL;
	} else if (colon && strchr(addr, ':') == colon) {
		host = strndup(addr, (size_t)(colon - addr));
		if (parse_port(colon + 1, addr, &port, err) < 0)
			return -EINVAL;
	} else {
		host = strdup(addr); /* IPv4 without port, or bare IPv6 */
	}
	if (!host)
		return cr_error_set(err, ENOMEM, "out of memory");
	unsigned char bin[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, host, bin) != 1 && inet_pton(AF_INET6, host, bin) != 1)
		return cr_error_set(err, EINVAL, "address '%s': '%s' is not an IP address", addr,
				    host);
	*ret_host = steal_pointer(&host);
	*ret_port = port;
	return 0;
}

int cr_addr_resolve(const char *addr, bool passive, struct addrinfo **ret_ai,
		    struct cr_error *err)
{
	cleanup_free char *host = NULL;
	int port;
	int r = cr_addr_split(addr, CR_WIRE_DEFAULT_PORT, &host, &port, err);
	if (r < 0)
		return r;
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
					    (passive ? AI_PASSIVE : 0),
				 .ai_socktype = SOCK_STREAM};
	int g = getaddrinfo(host, service, &hints, ret_ai);
	if (g != 0)
		return cr_error_set(err, EINVAL, "address %s: %s", addr, gai_strerror(g));
	return 0;
}
