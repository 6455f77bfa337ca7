/* Network links, through libnl-3 (the only file that includes it). */
#ifndef CORRAL_NET_LINK_H
#define CORRAL_NET_LINK_H

#include "util/error.h"

/* Bring the loopback interface of the current network namespace up. */
int cr_net_loopback_up(struct cr_error *err);

#endif
