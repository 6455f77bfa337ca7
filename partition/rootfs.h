/* A system partition's root part: the private /, /home, /tmp and /var,
 * populated from the global environment (AIX's "root part"). */
#ifndef CORRAL_PARTITION_ROOTFS_H
#define CORRAL_PARTITION_ROOTFS_H

#include "spec/config.h"
#include "util/error.h"

/* Where the partition's init reads the services it starts (inside the partition). */
#define CR_SERVICES_FILE "/etc/corral/services"
/* Where the init binary lives inside a system partition. */
#define CR_INIT_PATH "/etc/corral/corral-init"

/* The /etc files copied from the host into every new partition. */
extern const char *const cr_rootfs_etc_files[];

/* Create and populate CFG->directory. With CFG->preserve an existing tree is
 * kept as it is (mkwpar -p). */
int cr_rootfs_populate(const struct cr_wpar_config *cfg, struct cr_error *err);

/* mkwpar with "-M directory=/ vfs=nfs ...": write CFG's root part onto the
 * export of ROOT (its vfs=nfs stanza for "/"). The export must be empty
 * unless CFG->preserve. */
int cr_rootfs_populate_nfs(const struct cr_wpar_config *cfg, const struct cr_mount *root,
			   struct cr_error *err);

/* Write the partition's hostname into its /etc/hostname and /etc/hosts. */
int cr_rootfs_write_hostname(const char *dir, const char *hostname, struct cr_error *err);

/* Copy (refresh) the init binary into the partition at CR_INIT_PATH. */
int cr_rootfs_install_init(const char *dir, struct cr_error *err);

/* Path of the corral-init binary on the host. */
int cr_rootfs_init_binary(char **ret_path, struct cr_error *err);

#endif
