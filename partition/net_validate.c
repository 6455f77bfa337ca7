/* cr_partition_net_validate: a partition's network entries against this host
 * (net/) and against the addresses of every other partition (the registry). */
#include <stdbool.h>
#include <string.h>

#include "net/net.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "spec/addr_check.h"

static int check_partitions(const struct cr_wpar_config *cfg, const char *self_name,
			    struct cr_error *err)
{
	struct cr_wpar *list = NULL;
	size_t n = 0;
	int r = cr_registry_list(&list, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct cr_wpar_config *other = &list[i].config;
		bool self = self_name && other->name && !strcmp(other->name, self_name);
		if (!self)
			r = cr_net_check_other(cfg, other, err);
	}
	if (list)
		cr_wpar_list_free(list, n);
	return r;
}

int cr_partition_net_validate(const struct cr_wpar_config *cfg, const char *self_name,
			      struct cr_error *err)
{
	if (cfg->n_netifs == 0)
		return 0;
	int r;
	if ((r = cr_net_validate_host(cfg, err)) < 0 || (r = check_partitions(cfg, self_name, err)) < 0)
		return r;
	return 0;
}
