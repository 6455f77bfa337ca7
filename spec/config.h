/* A partition's configuration: what mkwpar records and a spec file holds.
 * The spec file (spec/spec_*.c) reads and writes exactly this. */
#ifndef CORRAL_SPEC_CONFIG_H
#define CORRAL_SPEC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CR_NAME_MAX 25 /* AIX: a partition name has at most 25 bytes */

enum cr_wpar_type {
	CR_TYPE_SYSTEM = 'S',
	CR_TYPE_APPLICATION = 'A',
};

/* A mount stanza: "-M directory=/home vfs=nfs host=h dev=/export/home". */
struct cr_mount {
	char *directory; /* mount point inside the partition ("/", "/home") */
	char *vfs;       /* "directory" (a private directory), "nfs", "tmpfs", "bind", "namefs" */
	char *dev;       /* source: export path for nfs, host path for bind/namefs */
	char *host;      /* NFS server */
	char *mountopts; /* comma-separated options ("ro", "bg,intr") */
};

/* A network stanza: "-N interface=eth0 address=10.0.0.5 netmask=255.255.255.0". */
struct cr_netif {
	char *interface;
	char *address;
	char *netmask;
	char *broadcast;
	char *address6;
	char *prefixlen;
	char *gateway; /* default route through it (IPv4 or IPv6), NULL for none */
};

#define CR_UNSET (-1)

/* The smallest limits a partition can run under (mkwpar refuses less): its
 * init and one command need a few MiB and two tasks; 16 MiB leaves room for
 * a shell, the page cache of what it reads and the kernel's own share. */
#define CR_MEMORY_FLOOR (16LL << 20) /* memoryLimit, procVirtMem */
#define CR_TASKS_FLOOR 2             /* totalProcesses, totalThreads */
/* The highest CPU number an rset may name. */
#define CR_CPU_MAX 65535

/* Resource controls (-R, the "resources:" stanza). Every number is CR_UNSET
 * (-1) when not given, which means unlimited / default. */
struct cr_resources {
	bool active;             /* active = yes|no: apply the controls at all */
	char *rset;              /* CPU set ("0-1"), NULL when unset */
	int cpu_shares;          /* shares_CPU, 1..65535 */
	int cpu_min;             /* CPU = min%-softmax%,hardmax% */
	int cpu_softmax;
	int cpu_hardmax;
	int memory_shares;       /* shares_memory, 1..65535 */
	int memory_min;          /* memory = min%-softmax%,hardmax% of host RAM */
	int memory_softmax;
	int memory_hardmax;
	int64_t memory_limit;    /* memoryLimit = bytes (Corral extension, e.g. 512M) */
	int64_t proc_virt_mem;   /* procVirtMem = bytes per process address space */
	int64_t total_processes; /* totalProcesses */
	int64_t total_threads;   /* totalThreads */
};

struct cr_security {
	char *privs; /* comma-separated capability names kept (Corral: Linux capabilities) */
	char *syscalls; /* comma-separated calls the partition filter refuses that it may use */
};

struct cr_wpar_config {
	char *name;
	char *hostname;        /* defaults to name */
	char *directory;       /* base directory, default /wpars/NAME */
	enum cr_wpar_type type;
	bool checkpointable;   /* -c */
	bool autostart;        /* -A, general: auto = yes */
	bool private_usr;      /* -l, general: privateusr = yes */
	bool copy_name_resolution; /* -r, general: resolv? kept for syncwpar */
	bool preserve;         /* -p, general: preserve = yes */
	char *script;          /* general: script = start/stop script, NULL if none */
	char *devices;         /* general: devices = exported devices file */
	char *owner;           /* general: owner, default root */
	struct cr_mount *mounts;
	size_t n_mounts;
	struct cr_netif *netifs;
	size_t n_netifs;
	struct cr_resources resources;
	struct cr_security security;
};

/* Fill CFG with the defaults (all resources unset, active = yes). */
void cr_config_init(struct cr_wpar_config *cfg);

/* Free everything CFG holds and reset it with cr_config_init. */
void cr_config_free(struct cr_wpar_config *cfg);

/* Deep copy SRC into RET (which is overwritten, not freed). */
int cr_config_copy(struct cr_wpar_config *ret, const struct cr_wpar_config *src,
		   struct cr_error *err);

/* Append a zeroed mount / network entry and return it, or NULL on ENOMEM. */
struct cr_mount *cr_config_add_mount(struct cr_wpar_config *cfg);
struct cr_netif *cr_config_add_netif(struct cr_wpar_config *cfg);

/* The mount stanza for DIRECTORY, or NULL. */
struct cr_mount *cr_config_find_mount(const struct cr_wpar_config *cfg, const char *directory);

/* Reset RES to "nothing set" (every number CR_UNSET, active = yes). */
void cr_resources_init(struct cr_resources *res);

/* Free what one entry holds and zero it. */
void cr_mount_free(struct cr_mount *m);
void cr_netif_free(struct cr_netif *n);

/* Remove the entry at INDEX (freeing it) and close the gap; out of range is a no-op. */
void cr_config_remove_mount(struct cr_wpar_config *cfg, size_t index);
void cr_config_remove_netif(struct cr_wpar_config *cfg, size_t index);

/* True when A and B hold the same values in every field (NULL == NULL). */
bool cr_config_equal(const struct cr_wpar_config *a, const struct cr_wpar_config *b);

/* Check a "min%-softmax%,hardmax%" triple (CR_UNSET parts are skipped):
 * each 0..100 and min <= softmax <= hardmax. WHAT names it in the error
 * ("CPU", "memory"). */
int cr_resources_check_percent(const char *what, int min, int softmax, int hardmax,
			       struct cr_error *err);

/* True when PATH is absolute and normalized: no empty, "." or ".."
 * components and no trailing slash (except "/" itself). */
bool cr_path_is_normalized(const char *path);

/* Check the CPU list RSET ("0-1,3"): its syntax, and that every CPU it
 * names is in ONLINE (the host's /sys/devices/system/cpu/online; NULL skips
 * that part). -EINVAL naming the first CPU missing. */
int cr_rset_check(const char *rset, const char *online, struct cr_error *err);

/* AIX name rules: 1..25 bytes, no blanks, dots or shell metacharacters,
 * not starting with '-' or '0'. Returns 0 or -EINVAL naming the problem. */
int cr_name_validate(const char *name, struct cr_error *err);

/* Fill in what the user did not give: hostname (the name), directory
 * ($ROOT/wpars/NAME), owner (root), and vfs "directory" for mounts without one.
 * Checks the name first. */
int cr_config_complete(struct cr_wpar_config *cfg, struct cr_error *err);

/* Check the whole configuration for consistency (mount directories absolute
 * and unique, known vfs, NFS mounts with host and dev, resource ranges and
 * floors, an rset of CPUs this host has online). */
int cr_config_validate(const struct cr_wpar_config *cfg, struct cr_error *err);

#endif
