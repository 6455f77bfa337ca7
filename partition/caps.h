/* The reduced capability set of a partition's root (the only libcap user). */
#ifndef CORRAL_PARTITION_CAPS_H
#define CORRAL_PARTITION_CAPS_H

#include "spec/config.h"
#include "util/error.h"

/* Drop from every set (bounding, permitted, effective, inheritable, ambient)
 * the capabilities that would let partition root reach outside: mount and
 * remount (sys_admin), modules, the clock, raw devices (mknod, sys_rawio),
 * reboot, kernel logs, audit, BPF, and more. KEEP is a comma-separated list of
 * capability names to keep anyway (the spec's security privs), or NULL. */
int cr_caps_drop_for_partition(const char *keep, struct cr_error *err);

/* The last step before a partition's process runs its program: the
 * system-call filter (seccomp/filter.h), loaded while CAP_SYS_ADMIN is still
 * held so that no_new_privs is not needed (setuid programs inside keep
 * working), then the capabilities dropped as above. SEC's privs keeps
 * capabilities and re-allows the calls they gate; its syscalls re-allows
 * refused calls by name. */
int cr_caps_confine(const struct cr_security *sec, struct cr_error *err);

/* Check that every name in LIST is a capability this host knows. */
int cr_caps_validate_list(const char *list, struct cr_error *err);

/* Check SEC: its privs are capabilities, its syscalls calls the filter refuses. */
int cr_caps_validate_security(const struct cr_security *sec, struct cr_error *err);

#endif
