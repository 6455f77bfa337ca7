/* The mount namespace of a partition, set up by its init-to-be before exec. */
#ifndef CORRAL_PARTITION_MOUNTS_H
#define CORRAL_PARTITION_MOUNTS_H

#include "spec/config.h"
#include "util/error.h"

/* System partition: private / (the base directory), its mount stanzas, the
 * global /usr and /opt read-only (unless private), fresh /dev, /run, /sys,
 * /proc, then pivot_root into it. Runs in the new mount and pid namespaces. */
int cr_mounts_setup_system(const struct cr_wpar_config *cfg, struct cr_error *err);

/* Application partition: the global file systems, with a /proc of its own. */
int cr_mounts_setup_application(struct cr_error *err);

/* A fresh /proc on /proc (in a new pid and mount namespace), confined as
 * runc, crun and LXC confine it: /proc/sys, /proc/sysrq-trigger, /proc/irq,
 * /proc/bus and /proc/fs read-only except /proc/sys/net (the partition's own
 * network namespace); /proc/kcore, /proc/keys, /proc/timer_list,
 * /proc/sched_debug, /proc/kmsg, /sys/firmware and the like masked. */
int cr_mounts_setup_proc(struct cr_error *err);

/* Returns 0 when every mount stanza can be served on this host; NFS needs the
 * nfs/ module (not yet in this build). */
int cr_mounts_check_supported(const struct cr_wpar_config *cfg, struct cr_error *err);

#endif
