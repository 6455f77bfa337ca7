/* Addresses of corrald peers. */
#ifndef CORRAL_TRANSPORT_NETADDR_H
#define CORRAL_TRANSPORT_NETADDR_H

#include <netdb.h>
#include <stdbool.h>
#include <sys/types.h>

#include "transport/conn.h"
#include "util/error.h"

/* Split "HOST[:PORT]" or "[V6]:PORT" (HOST an IP literal) into a heap host
 * and a port (DEFAULT_PORT when absent). */
int cr_addr_split(const char *addr, int default_port, char **ret_host, int *ret_port,
		  struct cr_error *err);

/* Resolve ADDR (port CR_WIRE_DEFAULT_PORT when absent) numerically; PASSIVE
 * for a listening socket. Free with freeaddrinfo. */
int cr_addr_resolve(const char *addr, bool passive, struct addrinfo **ret_ai,
		    struct cr_error *err);

#endif
