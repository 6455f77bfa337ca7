/* The attribute flags mkwpar, chwpar and wparexec share. */
#ifndef CORRAL_CLI_CONFIG_FLAGS_H
#define CORRAL_CLI_CONFIG_FLAGS_H

#include "cli/options.h"
#include "spec/config.h"
#include "util/error.h"

/* Apply, in command-line order: -h host, -d dir, -A, -c, -r, -l, -p, -u script,
 * -M/-N/-R/-S attribute words. Other flags are ignored here. */
int cli_apply_config_flags(const struct cli_parsed *p, struct cr_wpar_config *cfg,
			   struct cr_error *err);

#endif
