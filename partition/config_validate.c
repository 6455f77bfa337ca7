/* The checks on a partition configuration: AIX name rules, paths, mounts,
 * network entries and resource ranges. Each error is one line naming the
 * partition, the entry and the rule broken. */
#include "partition/config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* Blanks and shell metacharacters (AIX mkwpar), plus '=' and ':' that
 * separate attribute words and lswpar -c fields. */
static const char name_forbidden[] = " \t`~!$%^&*()[]{}|\\;'\"<>?/,=:";

/* A copy of S safe to show in a one-line message: control and non-ASCII
 * bytes become '?', and a long string is cut. NULL when out of memory. */
static char *shown(const char *s)
{
	size_t n = strlen(s), max = 40;
	char *out = malloc((n > max ? max : n) + 4);
	if (!out)
		return NULL;
	size_t i;
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	if (n > max) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

int cr_name_validate(const char *name, struct cr_error *err)
{
	if (!name || !*name)
		return cr_error_set(err, EINVAL, "invalid partition name '': a name needs 1 to %d bytes",
				    CR_NAME_MAX);
	cleanup_free char *s = shown(name);
	if (!s)
		return cr_error_set(err, ENOMEM, "out of memory checking a partition name");
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
					    "(no blanks or shell metacharacters)",
					    s, c == '\t' ? ' ' : c);
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
	if (!m->directory)
		return cr_error_set(err, EINVAL, "%s: mount %zu has no directory", name, i + 1);
	if (!cr_path_is_normalized(m->directory))
		return cr_error_set(err, EINVAL,
				    "%s: mount directory '%s' must be an absolute, normalized path",
				    name, m->directory);
	for (size_t j = 0; j < i; j++)
		if (cfg->mounts[j].directory && strcmp(cfg->mounts[j].directory, m->directory) == 0)
			return cr_error_set(err, EINVAL, "%s: mount directory %s is given twice", name,
					    m->directory);
	const char *vfs = m->vfs ? m->vfs : "directory";
	if (!is_vfs(vfs, "directory") && !is_vfs(vfs, "nfs") && !is_vfs(vfs, "tmpfs") &&
	    !is_vfs(vfs, "bind") && !is_vfs(vfs, "namefs"))
		return cr_error_set(err, EINVAL,
				    "%s: mount %s: unknown vfs '%s' (directory, nfs, tmpfs, bind or "
				    "namefs)",
				    name, m->directory, vfs);
	if (is_vfs(vfs, "nfs") && (!m->host || !*m->host || !m->dev || !*m->dev))
		return cr_error_set(err, EINVAL, "%s: NFS mount %s needs both host= and dev=", name,
				    m->directory);
	if ((is_vfs(vfs, "bind") || is_vfs(vfs, "namefs")) && (!m->dev || !*m->dev))
		return cr_error_set(err, EINVAL, "%s: %s mount %s needs dev= (the host path)", name,
				    vfs, m->directory);
	if (!is_vfs(vfs, "nfs") && m->host)
		return cr_error_set(err, EINVAL, "%s: mount %s: host= is only allowed with vfs=nfs",
				    name, m->directory);
	if ((is_vfs(vfs, "bind") || is_vfs(vfs, "namefs")) && m->dev[0] != '/')
		return cr_error_set(err, EINVAL, "%s: mount %s: dev '%s' must be an absolute path",
				    name, m->directory, m->dev);
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
	if (!n->interface || !*n->interface)
		return cr_error_set(err, EINVAL, "%s: network entry %zu has no interface", name, i + 1);
	if (strlen(n->interface) >= IFNAMSIZ || strchr(n->interface, '/') ||
	    strpbrk(n->interface, " \t\n"))
		return cr_error_set(err, EINVAL, "%s: invalid interface name '%s'", name,
				    n->interface);
	const char *ifn = n->interface;
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
					    ifn, n->address);
		if (!netmask_ok(n->netmask))
			return cr_error_set(err, EINVAL, "%s: %s: invalid netmask '%s'", name, ifn,
					    n->netmask);
	}
	if (n->broadcast && inet_pton(AF_INET, n->broadcast, &a4) != 1)
		return cr_error_set(err, EINVAL, "%s: %s: invalid broadcast address '%s'", name, ifn,
				    n->broadcast);
	if (n->address6 || n->prefixlen) {
		if (!n->address6 || !n->prefixlen)
			return cr_error_set(err, EINVAL, "%s: network entry %s needs both address6= "
					    "and prefixlen=", name, ifn);
		if (inet_pton(AF_INET6, n->address6, &a6) != 1)
			return cr_error_set(err, EINVAL, "%s: %s: invalid IPv6 address '%s'", name,
					    ifn, n->address6);
		char *end;
		errno = 0;
		long plen = strtol(n->prefixlen, &end, 10);
		if (errno || end == n->prefixlen || *end || plen < 0 || plen > 128)
			return cr_error_set(err, EINVAL, "%s: %s: invalid prefixlen '%s' (0..128)",
					    name, ifn, n->prefixlen);
	}
	return 0;
}

static bool rset_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == ','))
			return false;
	return true;
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

static int check_resources(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	const struct cr_resources *r = &cfg->resources;
	const char *name = cfg->name;
	int ret;
	if (r->rset && !rset_ok(r->rset))
		return cr_error_set(err, EINVAL, "%s: invalid rset '%s' (a CPU list such as 0-1,3)",
				    name, r->rset);
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
	return 0;
}

int cr_config_validate(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	int r = cr_name_validate(cfg->name, err);
	if (r < 0)
		return r;
	const char *name = cfg->name;
	if (cfg->type != CR_TYPE_SYSTEM && cfg->type != CR_TYPE_APPLICATION)
		return cr_error_set(err, EINVAL, "%s: unknown partition type %d", name, (int)cfg->type);
	if (cfg->hostname && !hostname_ok(cfg->hostname))
		return cr_error_set(err, EINVAL,
				    "%s: invalid hostname '%s' (letters, digits, '-' and '.', at most "
				    "64 bytes)%s",
				    name, cfg->hostname,
				    strcmp(cfg->hostname, name) ? ""
				    : ": the hostname defaults to the partition name; -h (or "
				      "general: hostname) sets another");
	if (cfg->directory && !cr_path_is_normalized(cfg->directory))
		return cr_error_set(err, EINVAL,
				    "%s: base directory '%s' must be an absolute, normalized path",
				    name, cfg->directory);
	if (cfg->owner && !*cfg->owner)
		return cr_error_set(err, EINVAL, "%s: empty owner", name);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if ((r = check_mount(cfg, i, err)) < 0)
			return r;
	for (size_t i = 0; i < cfg->n_netifs; i++)
		if ((r = check_netif(cfg, i, err)) < 0)
			return r;
	return check_resources(cfg, err);
}
