/* The individual probes behind cr_host_facts_probe(). Each fills its entries
 * of F: a feature that is absent is a result (CR_PROBE_MISSING), not an error.
 * They fail only when memory runs out. Each is bounded in time. */
#ifndef CORRAL_CHECK_PROBES_H
#define CORRAL_CHECK_PROBES_H

#include "check/host_facts.h"

/* Sets CR_PROBE_HW_BREAKPOINTS and F->criu_needs_fault. */
int cr_probe_breakpoints(struct cr_host_facts *f, struct cr_error *err);
/* Sets CR_PROBE_CRIU, CR_PROBE_CRIU_CHECK, F->criu_path and F->criu_version;
 * runs criu with CRIU_FAULT=130 when F->criu_needs_fault. */
int cr_probe_criu(struct cr_host_facts *f, struct cr_error *err);
/* Sets CR_PROBE_CRIU_STREAM and CR_PROBE_CRIU_TMPFS_TAR (one feature check
 * of criu), CR_PROBE_CRIU_LAZY_ANY_ORDER and CR_PROBE_CRIU_STREAM_PIPES
 * (`criu check --feature`), after cr_probe_criu. */
int cr_probe_criu_features(struct cr_host_facts *f, struct cr_error *err);
int cr_probe_namespaces(struct cr_host_facts *f, struct cr_error *err);
/* Sets CR_PROBE_CGROUPS, CR_PROBE_FREEZER and F->cgroup_*. */
int cr_probe_cgroups(struct cr_host_facts *f, struct cr_error *err);
/* userfaultfd, soft-dirty, PAGEMAP_SCAN. */
int cr_probe_memory(struct cr_host_facts *f, struct cr_error *err);
/* Kernel NFS client and FUSE. */
int cr_probe_filesystems(struct cr_host_facts *f, struct cr_error *err);
/* nftables and TCP repair. */
int cr_probe_network(struct cr_host_facts *f, struct cr_error *err);
/* The partition system-call filter, loaded in a child that must then get
 * EPERM from add_key. */
int cr_probe_seccomp(struct cr_host_facts *f, struct cr_error *err);
/* Sets CR_PROBE_LAZY_PAGES by running a lazy dump, the lazy-pages daemon and
 * a lazy restore of a test process with F's criu (after cr_probe_criu and
 * cr_probe_memory), bounded by CR_LAZY_PROBE_MS. */
int cr_probe_lazy(struct cr_host_facts *f, struct cr_error *err);
#define CR_LAZY_PROBE_MS 15000

/* What CRIU's lazy dump needs and what was seen; cr_lazy_verdict turns it
 * into the lazy-pages probe's status and detail. */
struct cr_lazy_evidence {
	bool uffd;              /* the userfaultfd probe passed */
	long pipe_max_size;     /* fs.pipe-max-size, -1 when unreadable */
	int cap_sys_resource;   /* CAP_SYS_RESOURCE in CapEff: 1, 0, -1 unknown */
	bool pipe_grows;        /* a pipe here grew to the size CRIU's lazy dump asks */
	int round_trip;         /* 1 worked, 0 failed, -1 not run */
	const char *why;        /* failed: CRIU's telling error line; not run: why */
	const char *criu;       /* "4.1.1 at /usr/local/sbin/criu" */
};
/* The bytes CRIU's lazy dump asks of F_SETPIPE_SZ, as the kernel rounds them
 * (a power of two of pages): fs.pipe-max-size must reach it without
 * CAP_SYS_RESOURCE. */
long cr_lazy_pipe_bytes(void);
int cr_lazy_verdict(struct cr_host_facts *f, const struct cr_lazy_evidence *e, struct cr_error *err);

/* Record a probe result; -ENOMEM (with ERR) when out of memory. */
#define CR_PROBE_SET(f, id, status, ...)                                                   \
	(cr_probe_set(&(f)->probes[id], status, __VA_ARGS__) < 0                           \
		 ? cr_error_set(err, ENOMEM, "out of memory recording probe %s", cr_probe_name(id)) \
		 : 0)

#endif
