/* The probes' names, what each result means for the user, and which ones
 * checkpoint and restart cannot do without. */
#include "check/host_facts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct probe_info {
	const char *name;
	bool required;
	const char *if_ok;
	const char *if_missing;
};

static const struct probe_info table[CR_PROBE_COUNT] = {
	[CR_PROBE_CRIU] = {"criu", true,
		"CRIU 4.1 or newer is installed",
		"no usable CRIU (4.1 or newer): partitions cannot be checkpointed, restarted or moved"},
	[CR_PROBE_CRIU_CHECK] = {"criu-check", true,
		"`criu check` passes: the kernel has what CRIU needs",
		"`criu check` fails: CRIU cannot checkpoint on this kernel"},
	[CR_PROBE_HW_BREAKPOINTS] = {"hw-breakpoints", false,
		"hardware breakpoints fire: CRIU runs normally",
		"hardware breakpoints do not fire: every CRIU call runs with CRIU_FAULT=130 (syscalls are single-stepped)"},
	[CR_PROBE_NS_PID] = {"ns-pid", true,
		"pid namespaces: partitions keep their own process ids",
		"no pid namespaces: partitions cannot be started or restored"},
	[CR_PROBE_NS_MNT] = {"ns-mnt", true,
		"mount namespaces: partitions have their own file system tree",
		"no mount namespaces: partitions cannot be started or restored"},
	[CR_PROBE_NS_NET] = {"ns-net", true,
		"network namespaces: partitions get their own network stack",
		"no network namespaces: partitions cannot be started or restored"},
	[CR_PROBE_NS_UTS] = {"ns-uts", true,
		"uts namespaces: partitions have their own host name",
		"no uts namespaces: partitions cannot be started or restored"},
	[CR_PROBE_NS_IPC] = {"ns-ipc", true,
		"ipc namespaces: partitions have their own System V IPC",
		"no ipc namespaces: partitions cannot be started or restored"},
	[CR_PROBE_NS_USER] = {"ns-user", false,
		"user namespaces: root inside a partition can be mapped to an unprivileged host user",
		"no user namespaces: root in a partition is root on the host"},
	[CR_PROBE_NS_CGROUP] = {"ns-cgroup", false,
		"cgroup namespaces: partitions see only their own cgroups",
		"no cgroup namespaces: partitions see the host's cgroup paths"},
	[CR_PROBE_NS_TIME] = {"ns-time", false,
		"time namespaces: monotonic clocks stay continuous across relocation",
		"no time namespaces: monotonic clocks jump when a partition moves to another host"},
	[CR_PROBE_CGROUPS] = {"cgroups", false,
		"cgroups are mounted: resource controls can be applied",
		"no usable cgroup layout: resource controls and freezing are unavailable"},
	[CR_PROBE_FREEZER] = {"freezer", true,
		"cgroup freezer: a partition is frozen consistently while it is checkpointed",
		"no cgroup freezer: partitions cannot be frozen for a consistent checkpoint"},
	[CR_PROBE_USERFAULTFD] = {"userfaultfd", false,
		"userfaultfd works: the kernel can serve a restored process's page faults (lazy-pages says whether CRIU's post-copy works)",
		"no userfaultfd: memory is always copied before a restored partition resumes"},
	[CR_PROBE_SOFT_DIRTY] = {"soft-dirty", false,
		"soft-dirty tracking: iterative pre-dump shortens the freeze of a checkpoint",
		"iterative pre-dump is unavailable: checkpoints freeze for the whole dump"},
	[CR_PROBE_PAGEMAP_SCAN] = {"pagemap-scan", false,
		"PAGEMAP_SCAN ioctl: CRIU finds the pages to dump quickly",
		"no PAGEMAP_SCAN ioctl: CRIU reads the page map entry by entry (slower dumps of large memory)"},
	[CR_PROBE_NFS_CLIENT] = {"nfs-client", false,
		"kernel NFS client: vfs=nfs mounts can be kernel mounts",
		"no kernel NFS client: vfs=nfs file systems are served by FUSE over libnfs (cor_nfs) instead"},
	[CR_PROBE_FUSE] = {"fuse", false,
		"FUSE: file systems can be served from user space",
		"no FUSE: user-space file systems cannot be mounted"},
	[CR_PROBE_NFTABLES] = {"nftables", false,
		"nftables answers: CRIU can lock a partition's network while it is checkpointed",
		"no nftables: CRIU cannot lock the network with nftables during a checkpoint"},
	[CR_PROBE_TCP_REPAIR] = {"tcp-repair", false,
		"TCP repair mode: established TCP connections survive checkpoint and relocation",
		"no TCP repair mode: established TCP connections cannot be checkpointed"},
	[CR_PROBE_SECCOMP] = {"seccomp", true,
		"seccomp filters: partitions get their system-call filter (keyrings, kexec, modules, BPF, ... refused)",
		"no seccomp filter: partitions cannot be started (their root would reach the host's keyrings and more)"},
	[CR_PROBE_LAZY_PAGES] = {"lazy-pages", false,
		"lazy (post-copy) restore works: a lazy dump, lazy-pages and restore of a test process succeeded",
		"lazy (post-copy) restore does not work here: memory is copied before a restored partition resumes"},
	[CR_PROBE_CRIU_STREAM] = {"criu-stream", false,
		"criu streams its images through RPC: checkpoints go straight into the image file, restarts read straight from it",
		"criu cannot stream its images through RPC (scripts/criu-patches/0003 not applied): checkpoints and restarts stage CRIU's files on a tmpfs or disk"},
	[CR_PROBE_CRIU_TMPFS_TAR] = {"criu-tmpfs-tar", false,
		"criu carries a tmpfs as a plain tar on request and restores either form: dumps restored by such a CRIU skip gzip",
		"criu lacks tmpfs-plain-tar (scripts/criu-patches/0009; run scripts/deps.sh): it cannot restore images that need it, and its dumps use tar.gz"},
	[CR_PROBE_CRIU_LAZY_ANY_ORDER] = {"criu-any-order", false,
		"criu lazy-pages takes page answers in any order and marks a fault's request: post-copy faults here are served ahead of the background push",
		"criu lazy-pages takes page answers only in the order it asked (scripts/criu-patches/0010; run scripts/deps.sh): a post-copy fault here waits behind push answers"},
	[CR_PROBE_CRIU_STREAM_PIPES] = {"criu-two-pipes", false,
		"criu reads a streamed pages image over two pipes in turns: restartwpar fills one pipe while criu copies out of the other",
		"criu reads a streamed pages image over one pipe (scripts/criu-patches/0011; run scripts/deps.sh): restarts from an image wait for each MiB to be refilled"},
};

const char *cr_probe_name(enum cr_probe_id id)
{
	return (unsigned)id < CR_PROBE_COUNT ? table[id].name : "unknown";
}

const char *cr_probe_meaning(enum cr_probe_id id, enum cr_probe_status status)
{
	if ((unsigned)id >= CR_PROBE_COUNT)
		return "";
	switch (status) {
	case CR_PROBE_OK:
		return table[id].if_ok;
	case CR_PROBE_MISSING:
		return table[id].if_missing;
	case CR_PROBE_SKIPPED:
		return "not probed here: no conclusion";
	}
	return "";
}

const char *cr_probe_status_name(enum cr_probe_status status)
{
	switch (status) {
	case CR_PROBE_OK:
		return "ok";
	case CR_PROBE_MISSING:
		return "missing";
	case CR_PROBE_SKIPPED:
		return "skipped";
	}
	return "unknown";
}

int cr_probe_from_name(const char *name)
{
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		if (!strcmp(table[i].name, name))
			return i;
	return -1;
}

bool cr_probe_required(enum cr_probe_id id)
{
	return (unsigned)id < CR_PROBE_COUNT && table[id].required;
}

int cr_probe_set(struct cr_probe *p, enum cr_probe_status status, const char *fmt, ...)
{
	char *detail = NULL;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		int r = vasprintf(&detail, fmt, ap);
		va_end(ap);
		if (r < 0)
			return -ENOMEM;
		for (char *s = detail; *s; s++)
			if (*s == '\n' || *s == '\r' || *s == '\t')
				*s = ' ';
	}
	free(p->detail);
	p->detail = detail;
	p->status = status;
	return 0;
}

bool cr_host_facts_ready(const struct cr_host_facts *f)
{
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		if (table[i].required && f->probes[i].status != CR_PROBE_OK)
			return false;
	return true;
}
