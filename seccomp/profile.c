/* The default profile: which calls a partition is refused, and what relaxes
 * each. The model is the Docker/Podman default profile (moby
 * profiles/seccomp/default.json and its documented list of blocked calls),
 * turned into a deny list: everything not listed stays with the kernel's own
 * capability checks. Calls the partition's capabilities already cover
 * (ptrace, process_vm_*, kcmp with cap_sys_ptrace; mbind and the memory
 * policies with cap_sys_nice; chroot) stay allowed, so debugging inside a
 * partition works; adjtimex stays allowed too (a read with modes == 0; the
 * kernel refuses a write without cap_sys_time, which a partition lacks). */
#define LOG_PREFIX "seccomp: "
#include "seccomp/filter.h"
#include "seccomp/profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#define ALWAYS(n, cap) {n, cap, CR_MATCH_ALWAYS, EPERM}

const struct cr_seccomp_rule cr_seccomp_rules[] = {
	/* The kernel keyrings are not namespaced: keys would be the host root's. */
	ALWAYS("add_key", NULL), ALWAYS("keyctl", NULL), ALWAYS("request_key", NULL),
	/* Loading another kernel, modules, BPF, perf. */
	ALWAYS("kexec_load", NULL), ALWAYS("kexec_file_load", NULL),
	ALWAYS("init_module", "cap_sys_module"), ALWAYS("finit_module", "cap_sys_module"),
	ALWAYS("delete_module", "cap_sys_module"), ALWAYS("create_module", NULL),
	ALWAYS("query_module", NULL), ALWAYS("get_kernel_syms", NULL),
	ALWAYS("bpf", "cap_bpf"), ALWAYS("perf_event_open", "cap_perfmon"),
	ALWAYS("lookup_dcookie", "cap_sys_admin"),
	/* File handles reach files outside the partition's root. */
	ALWAYS("open_by_handle_at", "cap_dac_read_search"),
	ALWAYS("name_to_handle_at", "cap_sys_admin"),
	/* The host's clock. */
	ALWAYS("settimeofday", "cap_sys_time"), ALWAYS("clock_settime", "cap_sys_time"),
	ALWAYS("clock_adjtime", "cap_sys_time"), ALWAYS("stime", "cap_sys_time"),
	/* Host-wide state: swap, process accounting, quotas, reboot, the log. */
	ALWAYS("swapon", "cap_sys_admin"), ALWAYS("swapoff", "cap_sys_admin"),
	ALWAYS("acct", "cap_sys_pacct"), ALWAYS("quotactl", "cap_sys_admin"),
	ALWAYS("quotactl_fd", "cap_sys_admin"), ALWAYS("reboot", "cap_sys_boot"),
	ALWAYS("syslog", "cap_syslog"), ALWAYS("iopl", "cap_sys_rawio"),
	ALWAYS("ioperm", "cap_sys_rawio"), ALWAYS("vhangup", "cap_sys_tty_config"),
	/* Mounts and namespaces: the partition's tree is made for it at start;
	 * its host name changes with chwpar only. */
	ALWAYS("mount", "cap_sys_admin"), ALWAYS("umount", "cap_sys_admin"),
	ALWAYS("umount2", "cap_sys_admin"), ALWAYS("pivot_root", "cap_sys_admin"),
	ALWAYS("fsopen", "cap_sys_admin"), ALWAYS("fsconfig", "cap_sys_admin"),
	ALWAYS("fsmount", "cap_sys_admin"), ALWAYS("fspick", "cap_sys_admin"),
	ALWAYS("open_tree", "cap_sys_admin"), ALWAYS("move_mount", "cap_sys_admin"),
	ALWAYS("mount_setattr", "cap_sys_admin"), ALWAYS("setns", "cap_sys_admin"),
	ALWAYS("sethostname", "cap_sys_admin"), ALWAYS("setdomainname", "cap_sys_admin"),
	/* A new user namespace gives back every capability inside it: the
	 * classic way out. clone3 hides its flags in memory the filter cannot
	 * read: ENOSYS makes libc fall back to clone, whose flags it can. */
	{"unshare", NULL, CR_MATCH_NEWUSER, EPERM},
	{"clone", NULL, CR_MATCH_NEWUSER, EPERM},
	{"clone3", NULL, CR_MATCH_ALWAYS, ENOSYS},
	{"personality", NULL, CR_MATCH_PERSONALITY, EPERM},
	/* Obsolete calls no program of today makes. */
	ALWAYS("nfsservctl", NULL), ALWAYS("uselib", NULL), ALWAYS("ustat", NULL),
	ALWAYS("sysfs", NULL), ALWAYS("_sysctl", NULL), ALWAYS("vm86", NULL),
	ALWAYS("vm86old", NULL),
};
const size_t cr_seccomp_n_rules = sizeof(cr_seccomp_rules) / sizeof(cr_seccomp_rules[0]);

static bool same_word(const char *word, size_t len, const char *want)
{
	if (strlen(want) == len && strncasecmp(word, want, len) == 0)
		return true;
	return strncasecmp(want, "cap_", 4) == 0 && strlen(want + 4) == len &&
	       strncasecmp(word, want + 4, len) == 0;
}

bool cr_seccomp_listed(const char *list, const char *word)
{
	if (!list || !word)
		return false;
	for (const char *p = list; *p;) {
		p += strspn(p, ", ");
		size_t len = strcspn(p, ", ");
		if (len && same_word(p, len, word))
			return true;
		p += len;
	}
	return false;
}

static const struct cr_seccomp_rule *find_rule(const char *name, size_t len)
{
	for (size_t i = 0; i < cr_seccomp_n_rules; i++)
		if (strlen(cr_seccomp_rules[i].name) == len &&
		    strncmp(cr_seccomp_rules[i].name, name, len) == 0)
			return &cr_seccomp_rules[i];
	return NULL;
}

int cr_seccomp_validate_list(const char *syscalls, struct cr_error *err)
{
	for (const char *p = syscalls ? syscalls : ""; *p;) {
		p += strspn(p, ", ");
		size_t len = strcspn(p, ", ");
		if (len && !find_rule(p, len))
			return cr_error_set(err, EINVAL,
					    "'%.*s' is not a system call the partition filter refuses "
					    "(see lswpar -S and mkwpar(8))",
					    (int)(len > 64 ? 64 : len), p);
		p += len;
	}
	return 0;
}

const char *cr_seccomp_refused(size_t index, const char **ret_cap)
{
	if (index >= cr_seccomp_n_rules)
		return NULL;
	if (ret_cap)
		*ret_cap = cr_seccomp_rules[index].cap;
	return cr_seccomp_rules[index].name;
}
