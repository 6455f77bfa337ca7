/* Partition configurations with NFS stanzas, for the nfs/ unit tests. */
#ifndef CORRAL_TESTS_NFS_FIXTURE_H
#define CORRAL_TESTS_NFS_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "spec/config.h"

/* Add to CFG the stanza "-M directory=DIR vfs=nfs host=HOST dev=EXPORT
 * mountopts=OPTS". */
static inline void nfs_fixture_stanza(struct cr_wpar_config *cfg, const char *dir, const char *host,
				      const char *export_path, const char *opts)
{
	struct cr_mount *m = cr_config_add_mount(cfg);
	assert_non_null(m);
	const char *values[] = {dir, "nfs", host, export_path, opts};
	char **fields[] = {&m->directory, &m->vfs, &m->host, &m->dev, &m->mountopts};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		*fields[i] = strdup(values[i]);
		assert_non_null(*fields[i]);
	}
}

/* A fresh configuration of partition NAME. */
static inline void nfs_fixture_config(struct cr_wpar_config *cfg, const char *name)
{
	cr_config_init(cfg);
	cfg->name = strdup(name);
	assert_non_null(cfg->name);
}

#endif
