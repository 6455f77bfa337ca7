/* What this host can do for Corral: probed once (each probe bounded in time),
 * cached in $ROOT/var/cache/corral/host-facts, reported by `corral check`.
 *
 * Other modules ask through cr_host_criu_env() how CRIU must be run here; it
 * reads the cache, so it costs a few system calls after the first probe. */
#ifndef CORRAL_CHECK_HOST_FACTS_H
#define CORRAL_CHECK_HOST_FACTS_H

#include <stdbool.h>
#include <stdint.h>

#include "criu/criu.h" /* CR_CRIU_FAULT_*, CR_CRIU_MIN_* */
#include "util/error.h"

enum cr_probe_status {
	CR_PROBE_MISSING = 0, /* probed: not there or not working */
	CR_PROBE_OK = 1,      /* probed: works */
	CR_PROBE_SKIPPED = 2, /* could not be probed here (arch, privileges) */
};

enum cr_probe_id {
	CR_PROBE_CRIU,           /* a criu binary, version >= 4.1 */
	CR_PROBE_CRIU_CHECK,     /* `criu check` passes */
	CR_PROBE_HW_BREAKPOINTS, /* an x86 debug-register breakpoint traps */
	CR_PROBE_NS_PID,
	CR_PROBE_NS_MNT,
	CR_PROBE_NS_NET,
	CR_PROBE_NS_UTS,
	CR_PROBE_NS_IPC,
	CR_PROBE_NS_USER,
	CR_PROBE_NS_CGROUP,
	CR_PROBE_NS_TIME,
	CR_PROBE_CGROUPS,        /* a cgroup layout Corral understands */
	CR_PROBE_FREEZER,        /* v1 freezer controller or v2 cgroup.freeze */
	CR_PROBE_USERFAULTFD,
	CR_PROBE_SOFT_DIRTY,
	CR_PROBE_PAGEMAP_SCAN,
	CR_PROBE_NFS_CLIENT,     /* kernel NFS client */
	CR_PROBE_FUSE,
	CR_PROBE_NFTABLES,
	CR_PROBE_TCP_REPAIR,
	CR_PROBE_SECCOMP,        /* the partition system-call filter loads and refuses */
	CR_PROBE_LAZY_PAGES,     /* a lazy dump, lazy-pages and restore round trip works */
	CR_PROBE_CRIU_STREAM,    /* criu's RPC takes the stream option (scripts/criu-patches/0003) */
	CR_PROBE_CRIU_TMPFS_TAR, /* criu dumps tmpfs as a plain tar on request, restores it (0009) */
	CR_PROBE_CRIU_LAZY_ANY_ORDER, /* criu lazy-pages takes answers in any order, marks faults (0010) */
	CR_PROBE_CRIU_STREAM_PIPES, /* criu's streamed restore reads pages over two pipes in turns (0011) */
	CR_PROBE_COUNT
};

struct cr_probe {
	enum cr_probe_status status;
	char *detail; /* heap, one line: what was found ("4.1.1 at /usr/local/sbin/criu") */
};

struct cr_host_facts {
	struct cr_probe probes[CR_PROBE_COUNT];
	char *criu_path;        /* heap; NULL when no criu binary was found */
	char *criu_version;     /* heap ("4.1.1"); NULL when unknown */
	bool criu_needs_fault;  /* every CRIU call must carry CRIU_FAULT=130 */
	char *cgroup_mode;      /* heap: "v1", "v2", "hybrid"; NULL when undetected */
	char *cgroup_v1;        /* heap: v1 controllers ("cpu,memory,freezer") */
	char *cgroup_v2;        /* heap: controllers usable on cgroup2 */
	int64_t probed_at;      /* when the probes ran (seconds since the epoch) */
	bool cached;            /* these facts came from the cache */
};

/* Short name ("soft-dirty"), and the one-line meaning for the user of STATUS. */
const char *cr_probe_name(enum cr_probe_id id);
const char *cr_probe_meaning(enum cr_probe_id id, enum cr_probe_status status);
const char *cr_probe_status_name(enum cr_probe_status status);
/* Probe id for NAME, or -1. */
int cr_probe_from_name(const char *name);
/* True when checkpoint and restart cannot work unless this probe is ok. */
bool cr_probe_required(enum cr_probe_id id);

/* Set a probe's status and detail (printf-style; FMT may be NULL). Newlines in
 * the detail become spaces. Returns 0 or -ENOMEM. */
int cr_probe_set(struct cr_probe *p, enum cr_probe_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True when checkpoint and restart can work here: every required probe ok. */
bool cr_host_facts_ready(const struct cr_host_facts *f);

/* Run every probe now (no cache). */
int cr_host_facts_probe(struct cr_host_facts *ret, struct cr_error *err);

/* The facts from the cache when its key (kernel, boot id, criu binary, uid)
 * still matches, else probe and rewrite the cache (a cache that cannot be
 * written is not an error). REFRESH forces probing. */
int cr_host_facts_get(bool refresh, struct cr_host_facts *ret, struct cr_error *err);

void cr_host_facts_free(struct cr_host_facts *f);

/* The facts as one JSON object (heap string). */
int cr_host_facts_to_json(const struct cr_host_facts *f, char **ret_json, struct cr_error *err);

/* How CRIU must be run on this host. */
struct cr_criu_env {
	char *criu_path;  /* heap: the criu binary (for criu_set_service_binary) */
	bool needs_fault; /* put CRIU_FAULT=130 into criu's environment */
};

/* From the cached facts (probing only when the cache is stale): the criu
 * binary and whether CRIU_FAULT=130 is needed. -ENOENT when there is no criu,
 * -ENOTSUP when it is older than 4.1. */
int cr_host_criu_env(struct cr_criu_env *ret, struct cr_error *err);
void cr_criu_env_free(struct cr_criu_env *env);

/* How the CRIU engine is to run criu here (criu/criu.h): $CORRAL_CRIU_FAULT's
 * override when set (cr_criu_service_forced), else cr_host_criu_env's answer. */
int cr_host_criu_service(struct cr_criu_service *ret, struct cr_error *err);

/* The same from facts already read (cr_host_facts_get), for a caller that
 * asks them more than one thing. */
int cr_host_criu_service_of(const struct cr_host_facts *f, struct cr_criu_service *ret, struct cr_error *err);

/* Whether criu here streams its images through RPC (scripts/criu-patches/0003):
 * chkptwpar and restartwpar then stream instead of staging CRIU's files. */
bool cr_host_criu_streams(void);
bool cr_host_criu_streams_of(const struct cr_host_facts *f);

/* Whether criu here restores (and on request dumps) a tmpfs carried as a
 * plain tar (scripts/criu-patches/0009, CR_PROBE_CRIU_TMPFS_TAR). */
bool cr_host_criu_tmpfs_plain_tar(void);

/* Whether criu lazy-pages here takes page answers in any order and marks a
 * fault's request (scripts/criu-patches/0010, CR_PROBE_CRIU_LAZY_ANY_ORDER). */
bool cr_host_criu_lazy_any_order(void);

#endif
