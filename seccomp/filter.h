/* The default system-call filter of a partition (the only libseccomp user).
 *
 * Modelled on Docker's and Podman's default profile: what a partition never
 * needs is refused with EPERM (the kernel keyrings, kexec, modules, the clock,
 * BPF, perf, file handles, swap, accounting, quotas, mounts, new user
 * namespaces, odd personalities, obsolete calls), everything else is left to
 * the kernel's own checks. A call gated on a capability (reboot on
 * cap_sys_boot, the clock on cap_sys_time, ...) is allowed again when the
 * partition keeps that capability (security: privs); any refused call can be
 * allowed by name (security: syscalls, mkwpar -S syscalls+=keyctl). */
#ifndef CORRAL_SECCOMP_FILTER_H
#define CORRAL_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Load the filter into the calling thread (inherited by its children and
 * kept across execve). PRIVS: the comma-separated capabilities the partition
 * keeps, SYSCALLS: the comma-separated refused calls it may use; either NULL.
 * Loads without no_new_privs while the caller holds CAP_SYS_ADMIN (setuid
 * programs inside keep working), with it otherwise. */
int cr_seccomp_apply(const char *privs, const char *syscalls, struct cr_error *err);

/* 0 when every name in SYSCALLS is a call the default filter refuses (only
 * those can be relaxed), else -EINVAL naming the first other one. */
int cr_seccomp_validate_list(const char *syscalls, struct cr_error *err);

/* The calls the default filter refuses, one at a time (INDEX from 0), and
 * the capability that allows each again (NULL: none); NULL past the end. */
const char *cr_seccomp_refused(size_t index, const char **ret_cap);

#endif
