/* lswpar --fleet: every partition of this host's fleet and the host that
 * runs it, as the hosts' agents published them in the fleet's store. */
#ifndef CORRAL_CLI_FLEET_LISTING_H
#define CORRAL_CLI_FLEET_LISTING_H

#include <stdbool.h>

#include "util/error.h"

/* Print them (only NAMES when N > 0); JSON: an array of objects. */
int cli_lswpar_fleet(bool json, char **names, int n, struct cr_error *err);

#endif
