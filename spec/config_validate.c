/* The checks on a partition configuration: AIX name rules, paths, mounts,
 * network entries and resource ranges. Each error is one line naming the
 * partition, the entry and the rule broken. */
#include "spec/config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "spec/addr_check.h"
#include "util/cleanup.h"
#include "util/escape.h"
#include "util/fsutil.h"

/* AIX mkwpar: no blanks or = : / ! ; ` ' " < > ~ & ( ) * + [ ] , . ^ { } | \
 * in a name; Corral also refuses the shell's $ % and ?. No '.' also means no "." or "..", so a name is always a
 * single path component (util/paths.h checks that again where paths are
 * built). */
static const char name_forbidden[] = " \t`~!$%^&*()[]{}|\\;'\"<>?/,=:.+";

int cr_name_validate(const char *name, struct cr_error *err)
{
	if (!name || !*name)
		return cr_error_set(err, EINVAL, "invalid partition name '': a name needs 1 to %d bytes",
				    CR_NAME_MAX);
	char s[CR_SHOWN_SIZE];
	cr_shown(name, s);
	size_t len = strlen(name);
	if (len > CR_NAME_MAX)
		return cr_error_set(err, EINVAL,
				    "invalid partition name '%s': %zu bytes, at most %d allowed", s,
				    len, CR_NAME_MAX);
	if (name[0] == '-' || name[0] == '0')
		return cr_error_set(err, EINVAL, "invalid partition name '%s': must not start with '%c'",
				    s, name[0]);
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			return cr_error_set(err, EINVAL,
					    "invalid partition name '%s': control character at byte %zu",
					    s, (size_t)(p - name) + 1);
		if (c >= 0x80)
			return cr_error_set(err, EINVAL,
					    "invalid partition name '%s': non-ASCII byte at byte %zu", s,
					    (size_t)(p - name) + 1);
		if (strchr(name_forbidden, c))
			return cr_error_set(err, EINVAL,
					    "invalid partition name '%s': character '%c' is not allowed "
					    "(no blanks, dots or shell metacharacters)",
					    s, c);
	}
	return 0;
}

bool cr_path_is_normalized(const char *path)
{
	if (!path || path[0] != '/')
		return false;
	if (path[1] == '\0')
		return true;
	const char *p = path + 1;
	for (;;) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (*end == '\0')
			return true;
		p = end + 1;
	}
}

int cr_resources_check_percent(const char *what, int min, int softmax, int hardmax,
			       struct cr_error *err)
{
	const int v[3] = {min, softmax, hardmax};
	static const char *const part[3] = {"minimum", "soft maximum", "hard maximum"};
	for (int i = 0; i < 3; i++)
		if (v[i] != CR_UNSET && (v[i] < 0 || v[i] > 100))
			return cr_error_set(err, EINVAL, "%s %s %d%% is outside 0..100%%", what,
					    part[i], v[i]);
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (v[i] != CR_UNSET && v[j] != CR_UNSET && v[i] > v[j])
				return cr_error_set(err, EINVAL, "%s %s %d%% is above the %s %d%%",
						    what, part[i], v[i], part[j], v[j]);
	return 0;
}

static bool hostname_ok(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 64 || h[0] == '-' || h[0] == '.')
		return false;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || *h == '-' || *h == '.'))
			return false;
	return true;
}

static bool is_vfs(const char *vfs, const char *want)
{
	return vfs && strcmp(vfs, want) == 0;
}

static int check_mount(const struct cr_wpar_config *cfg, size_t i, struct cr_error *err)
{
	const struct cr_mount *m = &cfg->mounts[i];
	const char *name = cfg->name;
	char dir_buf[CR_SHOWN_SIZE], vfs_buf[CR_SHOWN_SIZE], dev_buf[CR_SHOWN_SIZE];
	const char *dir = cr_shown(m->directory, dir_buf); /* each quoted cut and escaped */
	if (!m->directory)
		return cr_error_set(err, EINVAL, "%s: mount %zu has no directory", name, i + 1);
	if (!cr_path_is_normalized(m->directory))
		return cr_error_set(err, EINVAL,
				    "%s: mount directory '%s' must be an absolute, normalized path",
				    name, dir);
	for (size_t j = 0; j < i; j++)
		if (cfg->mounts[j].directory && strcmp(cfg->mounts[j].directory, m->directory) == 0)
			return cr_error_set(err, EINVAL, "%s: mount directory %s is given twice", name,
					    dir);
	const char *vfs = m->vfs ? m->vfs : "directory";
	if (!is_vfs(vfs, "directory") && !is_vfs(vfs, "nfs") && !is_vfs(vfs, "tmpfs") &&
	    !is_vfs(vfs, "bind") && !is_vfs(vfs, "namefs"))
		return cr_error_set(err, EINVAL,
				    "%s: mount %s: unknown vfs '%s' (directory, nfs, tmpfs, bind or "
				    "namefs)",
				    name, dir, cr_shown(vfs, vfs_buf));
	if (is_vfs(vfs, "nfs") && (!m->host || !*m->host || !m->dev || !*m->dev))
		return cr_error_set(err, EINVAL, "%s: NFS mount %s needs both host= and dev=", name,
				    dir);
	if ((is_vfs(vfs, "bind") || is_vfs(vfs, "namefs")) && (!m->dev || !*m->dev))
		return cr_error_set(err, EINVAL, "%s: %s mount %s needs dev= (the host path)", name,
				    cr_shown(vfs, vfs_buf), dir);
	if (!is_vfs(vfs, "nfs") && m->host)
		return cr_error_set(err, EINVAL, "%s: mount %s: host= is only allowed with vfs=nfs",
				    name, dir);
	if ((is_vfs(vfs, "bind") || is_vfs(vfs, "namefs")) && m->dev[0] != '/')
		return cr_error_set(err, EINVAL, "%s: mount %s: dev '%s' must be an absolute path",
				    name, dir, cr_shown(m->dev, dev_buf));
	return 0;
}

static bool netmask_ok(const char *mask)
{
	struct in_addr a;
	if (inet_pton(AF_INET, mask, &a) != 1)
		return false;
	uint32_t m = ntohl(a.s_addr);
	/* contiguous ones, then zeros: ~m + 1 is a power of two (or zero) */
	uint32_t inv = ~m;
	return (inv & (inv + 1)) == 0;
}

static int check_netif(const struct cr_wpar_config *cfg, size_t i, struct cr_error *err)
{
	const struct cr_netif *n = &cfg->netifs[i];
	const char *name = cfg->name;
	struct in_addr a4;
	struct in6_addr a6;
	char if_buf[CR_SHOWN_SIZE], v_buf[CR_SHOWN_SIZE]; /* quoted input, cut and escaped */
	if (!n->interface || !*n->interface)
		return cr_error_set(err, EINVAL, "%s: network entry %zu has no interface", name, i + 1);
	if (strlen(n->interface) >= IFNAMSIZ || strchr(n->interface, '/') ||
	    strpbrk(n->interface, " \t\n"))
		return cr_error_set(err, EINVAL, "%s: invalid interface name '%s'", name,
				    cr_shown(n->interface, if_buf));
	const char *ifn = cr_shown(n->interface, if_buf);
	if (!n->address && !n->address6)
		return cr_error_set(err, EINVAL,
				    "%s: network entry %s has no address (address= netmask= or "
				    "address6= prefixlen=)",
				    name, ifn);
	if (n->address || n->netmask) {
		if (!n->address || !n->netmask)
			return cr_error_set(err, EINVAL, "%s: network entry %s needs both address= "
					    "and netmask=", name, ifn);
		if (inet_pton(AF_INET, n->address, &a4) != 1)
			return cr_error_set(err, EINVAL, "%s: %s: invalid IPv4 address '%s'", name,
					    ifn, cr_shown(n->address, v_buf));
		if (!netmask_ok(n->netmask))
			return cr_error_set(err, EINVAL, "%s: %s: invalid netmask '%s'", name, ifn,
					    cr_shown(n->netmask, v_buf));
	}
	if (n->broadcast && inet_pton(AF_INET, n->broadcast, &a4) != 1)
		return cr_error_set(err, EINVAL, "%s: %s: invalid broadcast address '%s'", name, ifn,
				    cr_shown(n->broadcast, v_buf));
	if (n->address6 || n->prefixlen) {
		if (!n->address6 || !n->prefixlen)
			return cr_error_set(err, EINVAL, "%s: network entry %s needs both address6= "
					    "and prefixlen=", name, ifn);
		if (inet_pton(AF_INET6, n->address6, &a6) != 1)
			return cr_error_set(err, EINVAL, "%s: %s: invalid IPv6 address '%s'", name,
					    ifn, cr_shown(n->address6, v_buf));
		char *end;
		errno = 0;
		long plen = strtol(n->prefixlen, &end, 10);
		if (errno || end == n->prefixlen || *end || plen < 0 || plen > 128)
			return cr_error_set(err, EINVAL, "%s: %s: invalid prefixlen '%s' (0..128)",
					    name, ifn, cr_shown(n->prefixlen, v_buf));
	}
	return 0;
}

/* Read one number of a CPU list at *P, at most CR_CPU_MAX. */
static bool cpu_number(const char **p, unsigned *ret)
{
	if (**p < '0' || **p > '9')
		return false;
	unsigned long v = 0;
	for (; **p >= '0' && **p <= '9'; (*p)++)
		if ((v = v * 10 + (unsigned long)(**p - '0')) > CR_CPU_MAX)
			return false;
	*ret = (unsigned)v;
	return true;
}

/* Call back for each range "lo-hi" of the CPU list S; false on bad syntax. */
static bool cpu_list_each(const char *s, bool (*fn)(unsigned lo, unsigned hi, void *data),
			  void *data)
{
	const char *p = s;
	if (!p || !*p)
		return false;
	for (;;) {
		unsigned lo, hi;
		if (!cpu_number(&p, &lo))
			return false;
		hi = lo;
		if (*p == '-' && (p++, !cpu_number(&p, &hi)))
			return false;
		if (hi < lo || !fn(lo, hi, data))
			return false;
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			return false;
	}
}

static bool any_range(unsigned lo, unsigned hi, void *data)
{
	(void)lo, (void)hi, (void)data;
	return true;
}

struct cpu_cover {
	const char *online;
	unsigned missing; /* the first CPU of the rset that is not online */
	bool found;
};

static bool online_has(unsigned lo, unsigned hi, void *data)
{
	unsigned *cpu = data;
	if (*cpu >= lo && *cpu <= hi)
		*cpu = UINT_MAX; /* found: stop looking */
	return *cpu != UINT_MAX;
}

static bool range_online(unsigned lo, unsigned hi, void *data)
{
	struct cpu_cover *c = data;
	for (unsigned cpu = lo; cpu <= hi; cpu++) {
		unsigned probe = cpu;
		(void)cpu_list_each(c->online, online_has, &probe);
		if (probe != UINT_MAX) {
			c->missing = cpu;
			c->found = true;
			return false;
		}
	}
	return true;
}

int cr_rset_check(const char *rset, const char *online, struct cr_error *err)
{
	char shown[CR_SHOWN_SIZE];
	if (!cpu_list_each(rset, any_range, NULL))
		return cr_error_set(err, EINVAL, "invalid rset '%s' (a CPU list such as 0-1,3)",
				    cr_shown(rset, shown));
	if (!online || !cpu_list_each(online, any_range, NULL))
		return 0; /* the host's list is unknown: nothing more to prove */
	struct cpu_cover c = {.online = online};
	if (!cpu_list_each(rset, range_online, &c) && c.found)
		return cr_error_set(err, EINVAL,
				    "rset '%s' names CPU %u, which this host does not have online "
				    "(online: %s)",
				    cr_shown(rset, shown), c.missing, online);
	return 0;
}

/* The host's online CPUs ("0-1"), or NULL when they cannot be read. */
static char *host_online_cpus(void)
{
	char *text = NULL;
	size_t len = 0;
	if (cr_read_file("/sys/devices/system/cpu/online", 4096, &text, &len, NULL) < 0)
		return NULL;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	return text;
}

static int check_shares(const char *name, const char *what, int v, struct cr_error *err)
{
	if (v != CR_UNSET && (v < 1 || v > 65535))
		return cr_error_set(err, EINVAL, "%s: %s %d is outside 1..65535", name, what, v);
	return 0;
}

static int check_positive(const char *name, const char *what, int64_t v, struct cr_error *err)
{
	if (v != CR_UNSET && v < 1)
		return cr_error_set(err, EINVAL, "%s: %s %lld must be positive", name, what,
				    (long long)v);
	return 0;
}

/* A limit below FLOOR lets nothing run (not even the partition's init). */
static int check_floor(const char *name, const char *what, int64_t v, int64_t floor,
		       const char *unit, struct cr_error *err)
{
	if (v != CR_UNSET && v < floor)
		return cr_error_set(err, EINVAL,
				    "%s: %s %lld is below %lld%s: nothing could run in the partition",
				    name, what, (long long)v, (long long)floor, unit);
	return 0;
}

static int check_resources(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	const struct cr_resources *r = &cfg->resources;
	const char *name = cfg->name;
	int ret;
	if (r->rset) {
		cleanup_free char *online = host_online_cpus();
		if ((ret = cr_rset_check(r->rset, online, err)) < 0)
			return cr_error_wrap(err, "%s", name);
	}
	if ((ret = check_shares(name, "shares_CPU", r->cpu_shares, err)) < 0 ||
	    (ret = check_shares(name, "shares_memory", r->memory_shares, err)) < 0)
		return ret;
	if (cr_resources_check_percent("CPU", r->cpu_min, r->cpu_softmax, r->cpu_hardmax, err) < 0 ||
	    cr_resources_check_percent("memory", r->memory_min, r->memory_softmax,
				       r->memory_hardmax, err) < 0)
		return cr_error_wrap(err, "%s", name);
	if ((ret = check_positive(name, "memoryLimit", r->memory_limit, err)) < 0 ||
	    (ret = check_positive(name, "procVirtMem", r->proc_virt_mem, err)) < 0 ||
	    (ret = check_positive(name, "totalProcesses", r->total_processes, err)) < 0 ||
	    (ret = check_positive(name, "totalThreads", r->total_threads, err)) < 0)
		return ret;
	if (r->cpu_hardmax == 0 || r->memory_hardmax == 0)
		return cr_error_set(err, EINVAL, "%s: a %s hard maximum of 0%% lets nothing run",
				    name, r->cpu_hardmax == 0 ? "CPU" : "memory");
	if ((ret = check_floor(name, "memoryLimit", r->memory_limit, CR_MEMORY_FLOOR, " bytes (16M)",
			       err)) < 0 ||
	    (ret = check_floor(name, "procVirtMem", r->proc_virt_mem, CR_MEMORY_FLOOR,
			       " bytes (16M)", err)) < 0 ||
	    (ret = check_floor(name, "totalProcesses", r->total_processes, CR_TASKS_FLOOR, "", err)) <
		    0 ||
	    (ret = check_floor(name, "totalThreads", r->total_threads, CR_TASKS_FLOOR, "", err)) < 0)
		return ret;
	return 0;
}

int cr_config_validate(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	int r = cr_name_validate(cfg->name, err);
	if (r < 0)
		return r;
	const char *name = cfg->name;
	char shown[CR_SHOWN_SIZE];
	if (cfg->type != CR_TYPE_SYSTEM && cfg->type != CR_TYPE_APPLICATION)
		return cr_error_set(err, EINVAL, "%s: unknown partition type %d", name, (int)cfg->type);
	if (cfg->hostname && !hostname_ok(cfg->hostname))
		return cr_error_set(err, EINVAL,
				    "%s: invalid hostname '%s' (letters, digits, '-' and '.', at most "
				    "64 bytes)%s",
				    name, cr_shown(cfg->hostname, shown),
				    strcmp(cfg->hostname, name) ? ""
				    : ": the hostname defaults to the partition name; -h (or "
				      "general: hostname) sets another");
	if (cfg->directory && !cr_path_is_normalized(cfg->directory))
		return cr_error_set(err, EINVAL,
				    "%s: base directory '%s' must be an absolute, normalized path",
				    name, cr_shown(cfg->directory, shown));
	if (cfg->owner && !*cfg->owner)
		return cr_error_set(err, EINVAL, "%s: empty owner", name);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if ((r = check_mount(cfg, i, err)) < 0)
			return r;
	for (size_t i = 0; i < cfg->n_netifs; i++)
		if ((r = check_netif(cfg, i, err)) < 0)
			return r;
	/* The address rules that need no host (mkwpar -w writes only what passes). */
	if (cfg->n_netifs && (r = cr_net_check_entries(cfg, err)) < 0)
		return cr_error_wrap(err, "%s", name);
	return check_resources(cfg, err);
}
