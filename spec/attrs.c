/* The attribute table: every key of every stanza, where it lives in
 * struct cr_wpar_config and how its value reads and prints. The spec file
 * and the command line both go through cr_attr_set / cr_attrs_foreach. */
#include "spec/attrs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/attr_list.h"
#include "spec/attr_values.h"
#include "util/cleanup.h"
#include "util/escape.h"

enum kind {
	K_STRING,  /* char *, NULL when unset */
	K_LIST,    /* char *, comma-separated names; key+=a,b and key-=a edit it */
	K_NAME,    /* char *, AIX name rules */
	K_BOOL,    /* bool, default false */
	K_BOOL_ON, /* bool, default true */
	K_TYPE,    /* enum cr_wpar_type, default system */
	K_SHARES,  /* int 1..65535 */
	K_PERCENT, /* int[3]: min, softmax, hardmax */
	K_SIZE,    /* int64_t bytes, bare number = bytes, prints 512M */
	K_AIXSIZE, /* int64_t bytes, bare number = MB, prints 1024MB */
	K_COUNT,   /* int64_t >= 1 */
	K_IGNORED, /* an AIX key Corral accepts and does not use */
};

struct attr {
	const char *key;
	enum kind kind;
	size_t off;
};

#define A(type, key, kind, field) {key, kind, offsetof(type, field)}
#define IGNORED(key) {key, K_IGNORED, 0}

#define G(key, kind, field) A(struct cr_wpar_config, key, kind, field)
static const struct attr general_attrs[] = {
	G("name", K_NAME, name),
	G("hostname", K_STRING, hostname),
	G("directory", K_STRING, directory),
	G("type", K_TYPE, type),
	G("checkpointable", K_BOOL, checkpointable),
	G("auto", K_BOOL, autostart),
	G("privateusr", K_BOOL, private_usr),
	G("copy_nameres", K_BOOL, copy_name_resolution),
	G("preserve", K_BOOL, preserve),
	G("script", K_STRING, script),
	G("devices", K_STRING, devices),
	G("owner", K_STRING, owner),
	IGNORED("routing"),
	IGNORED("ostype"),
	IGNORED("xwparipc"),
	IGNORED("architecture"),
	IGNORED("uuid"),
	IGNORED("rootvgwpar"),
	IGNORED("vipwpar"),
	IGNORED("application"),
	IGNORED("secfile"),
	{NULL, K_IGNORED, 0},
};

#define N(key, field) A(struct cr_netif, key, K_STRING, field)
static const struct attr network_attrs[] = {
	N("interface", interface), N("address", address),   N("netmask", netmask),
	N("broadcast", broadcast), N("address6", address6), N("prefixlen", prefixlen),
	N("gateway", gateway), /* Corral extension: the default route (net/net.h) */
	{NULL, K_IGNORED, 0},
};

#define M(key, field) A(struct cr_mount, key, K_STRING, field)
static const struct attr mount_attrs[] = {
	M("directory", directory), M("vfs", vfs), M("dev", dev), M("host", host),
	M("mountopts", mountopts), IGNORED("logname"), IGNORED("size"), IGNORED("crfsopts"),
	IGNORED("vg"), IGNORED("mode"), {NULL, K_IGNORED, 0},
};

#define R(key, kind, field) A(struct cr_resources, key, kind, field)
static const struct attr resources_attrs[] = {
	R("active", K_BOOL_ON, active),
	R("rset", K_STRING, rset),
	R("shares_CPU", K_SHARES, cpu_shares),
	R("CPU", K_PERCENT, cpu_min),
	R("shares_memory", K_SHARES, memory_shares),
	R("memory", K_PERCENT, memory_min),
	R("memoryLimit", K_SIZE, memory_limit),
	R("procVirtMem", K_AIXSIZE, proc_virt_mem),
	R("totalProcesses", K_COUNT, total_processes),
	R("totalThreads", K_COUNT, total_threads),
	IGNORED("totalVirtMem"),
	IGNORED("totalPTYs"),
	IGNORED("totalLargePages"),
	IGNORED("pct_msgIDs"),
	IGNORED("pct_semIDs"),
	IGNORED("pct_shmIDs"),
	IGNORED("pct_pinMem"),
	{NULL, K_IGNORED, 0},
};

static const struct attr security_attrs[] = {
	A(struct cr_security, "privs", K_LIST, privs),
	A(struct cr_security, "syscalls", K_LIST, syscalls),
	IGNORED("secfile"),
	{NULL, K_IGNORED, 0},
};

/* K_PERCENT reads three consecutive ints starting at the min field. */
_Static_assert(offsetof(struct cr_resources, cpu_hardmax) ==
		       offsetof(struct cr_resources, cpu_min) + 2 * sizeof(int),
	       "CPU triple must be contiguous");
_Static_assert(offsetof(struct cr_resources, memory_hardmax) ==
		       offsetof(struct cr_resources, memory_min) + 2 * sizeof(int),
	       "memory triple must be contiguous");

static const struct {
	const char *name;
	const struct attr *attrs;
} stanzas[] = {
	[CR_STANZA_GENERAL] = {"general", general_attrs},
	[CR_STANZA_NETWORK] = {"network", network_attrs},
	[CR_STANZA_MOUNT] = {"mount", mount_attrs},
	[CR_STANZA_RESOURCES] = {"resources", resources_attrs},
	[CR_STANZA_SECURITY] = {"security", security_attrs},
};
#define N_STANZAS (sizeof(stanzas) / sizeof(stanzas[0]))

int cr_stanza_lookup(const char *name)
{
	for (size_t i = 0; i < N_STANZAS; i++)
		if (strcasecmp(stanzas[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *cr_stanza_name(enum cr_stanza stanza)
{
	return (size_t)stanza < N_STANZAS ? stanzas[stanza].name : "unknown";
}

static const struct attr *find_attr(enum cr_stanza stanza, const char *key)
{
	for (const struct attr *a = stanzas[stanza].attrs; a->key; a++)
		if (strcasecmp(a->key, key) == 0)
			return a;
	return NULL;
}

/* Where STANZA's fields live: CFG itself, one of its parts, or entry INDEX. */
static char *stanza_base(const struct cr_wpar_config *cfg, enum cr_stanza stanza, size_t index)
{
	struct cr_wpar_config *c = (struct cr_wpar_config *)cfg;
	switch (stanza) {
	case CR_STANZA_GENERAL:
		return (char *)c;
	case CR_STANZA_NETWORK:
		return index < c->n_netifs ? (char *)&c->netifs[index] : NULL;
	case CR_STANZA_MOUNT:
		return index < c->n_mounts ? (char *)&c->mounts[index] : NULL;
	case CR_STANZA_RESOURCES:
		return (char *)&c->resources;
	case CR_STANZA_SECURITY:
		return (char *)&c->security;
	}
	return NULL;
}

static size_t last_index(const struct cr_wpar_config *cfg, enum cr_stanza stanza)
{
	size_t n = stanza == CR_STANZA_NETWORK ? cfg->n_netifs :
		   stanza == CR_STANZA_MOUNT   ? cfg->n_mounts :
						 1;
	return n - 1;
}

static int set_string(char **field, const char *value, struct cr_error *err)
{
	char *copy = NULL;
	if (*value) {
		for (const char *p = value; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return cr_error_set(err, EINVAL, "control characters are not allowed");
		copy = strdup(value);
		if (!copy)
			return cr_error_set(err, ENOMEM, "out of memory");
	}
	free(*field);
	*field = copy;
	return 0;
}

/* Store VALUE ("" = the default) into the field A describes at BASE. */
static int set_value(char *base, const struct attr *a, const char *value, struct cr_error *err)
{
	void *field = base + a->off;
	int64_t v = CR_UNSET;
	bool b = a->kind == K_BOOL_ON;
	int r = 0;
	switch (a->kind) {
	case K_NAME:
		if ((r = cr_name_validate(value, err)) < 0)
			return r;
		return set_string(field, value, err);
	case K_STRING:
	case K_LIST:
		return set_string(field, value, err);
	case K_BOOL:
	case K_BOOL_ON:
		if (*value && (r = cr_value_parse_bool(value, &b, err)) < 0)
			return r;
		*(bool *)field = b;
		return 0;
	case K_TYPE:
		if (!*value || strcasecmp(value, "system") == 0 || strcasecmp(value, "S") == 0)
			*(enum cr_wpar_type *)field = CR_TYPE_SYSTEM;
		else if (strcasecmp(value, "application") == 0 || strcasecmp(value, "A") == 0)
			*(enum cr_wpar_type *)field = CR_TYPE_APPLICATION;
		else
			return cr_error_set(err, EINVAL, "expected system or application");
		return 0;
	case K_SHARES:
		if (*value && (r = cr_value_parse_int(value, 1, 65535, &v, err)) < 0)
			return r;
		*(int *)field = (int)v;
		return 0;
	case K_PERCENT: {
		int p[3] = {CR_UNSET, CR_UNSET, CR_UNSET};
		if (*value && (r = cr_value_parse_percent3(a->key, value, p, err)) < 0)
			return r;
		memcpy(field, p, sizeof(p));
		return 0;
	}
	case K_SIZE:
	case K_AIXSIZE:
		if (*value &&
		    (r = cr_value_parse_size(value, a->kind == K_SIZE ? 1 : 1 << 20, &v, err)) < 0)
			return r;
		*(int64_t *)field = v;
		return 0;
	case K_COUNT:
		if (*value && (r = cr_value_parse_int(value, 1, INT64_MAX, &v, err)) < 0)
			return r;
		*(int64_t *)field = v;
		return 0;
	case K_IGNORED:
		return 0;
	}
	return 0;
}

/* Print the field A describes at BASE into BUF; NULL when it holds the default. */
static const char *format_value(const char *base, const struct attr *a, char *buf, size_t size)
{
	const void *field = base + a->off;
	switch (a->kind) {
	case K_NAME:
	case K_STRING:
	case K_LIST:
		return *(char *const *)field;
	case K_BOOL:
	case K_BOOL_ON:
		if (*(const bool *)field == (a->kind == K_BOOL_ON))
			return NULL;
		return *(const bool *)field ? "yes" : "no";
	case K_TYPE:
		return *(const enum cr_wpar_type *)field == CR_TYPE_APPLICATION ? "application" : NULL;
	case K_SHARES:
		if (*(const int *)field == CR_UNSET)
			return NULL;
		snprintf(buf, size, "%d", *(const int *)field);
		return buf;
	case K_PERCENT:
		cr_value_format_percent3(field, buf, size);
		return buf[0] ? buf : NULL;
	case K_SIZE:
	case K_AIXSIZE:
		if (*(const int64_t *)field == CR_UNSET)
			return NULL;
		cr_value_format_size(*(const int64_t *)field, a->kind == K_AIXSIZE, buf, size);
		return buf;
	case K_COUNT:
		if (*(const int64_t *)field == CR_UNSET)
			return NULL;
		snprintf(buf, size, "%" PRId64, *(const int64_t *)field);
		return buf;
	case K_IGNORED:
		return NULL;
	}
	return NULL;
}

/* Set KEY = VALUE in entry INDEX of STANZA (ignored for the single stanzas). */
static int attr_set_at(struct cr_wpar_config *cfg, enum cr_stanza stanza, size_t index,
		       const char *key, const char *value, struct cr_error *err)
{
	if ((size_t)stanza >= N_STANZAS)
		return cr_error_set(err, EINVAL, "unknown stanza %d", (int)stanza);
	const struct attr *a = find_attr(stanza, key);
	char shown[CR_SHOWN_SIZE];
	if (!a)
		return cr_error_set(err, ENOENT, "unknown attribute '%s' in %s stanza",
				    cr_shown(key, shown), stanzas[stanza].name);
	char *base = stanza_base(cfg, stanza, index);
	if (!base)
		return cr_error_set(err, EINVAL, "no %s entry to set %s on", stanzas[stanza].name,
				    a->key);
	int r = set_value(base, a, value, err);
	if (r < 0)
		return cr_error_wrap(err, "invalid value '%s' for %s", cr_shown(value, shown), a->key);
	return 0;
}

/* KEY+=WORDS or KEY-=WORDS (OP '+' or '-') on a list attribute (AIX -S privs+=). */
static int attr_edit_at(struct cr_wpar_config *cfg, enum cr_stanza stanza, size_t index,
			const char *key, char op, const char *words, struct cr_error *err)
{
	const struct attr *a = find_attr(stanza, key);
	if (!a) /* the error for an unknown attribute */
		return attr_set_at(cfg, stanza, index, key, words, err);
	char *base = stanza_base(cfg, stanza, index);
	if (a->kind != K_LIST || !base)
		return cr_error_set(err, EINVAL, "'%s%c=' edits a list: privs or syscalls of -S",
				    a->key, op);
	cleanup_free char *list = NULL;
	int r = cr_list_edit(*(char **)(base + a->off), op, words, &list, err);
	if (r < 0)
		return cr_error_wrap(err, "%s%c=", a->key, op);
	return attr_set_at(cfg, stanza, index, a->key, list ? list : "", err);
}

int cr_attr_set(struct cr_wpar_config *cfg, enum cr_stanza stanza, const char *key,
		const char *value, struct cr_error *err)
{
	return attr_set_at(cfg, stanza, last_index(cfg, stanza), key, value, err);
}

int cr_attrs_foreach(const struct cr_wpar_config *cfg, enum cr_stanza stanza, size_t index,
		     cr_attr_visit_fn fn, void *data, struct cr_error *err)
{
	if ((size_t)stanza >= N_STANZAS)
		return cr_error_set(err, EINVAL, "unknown stanza %d", (int)stanza);
	const char *base = stanza_base(cfg, stanza, index);
	if (!base)
		return cr_error_set(err, EINVAL, "no %s entry %zu", stanzas[stanza].name, index + 1);
	char buf[64];
	for (const struct attr *a = stanzas[stanza].attrs; a->key; a++) {
		const char *v = format_value(base, a, buf, sizeof(buf));
		if (!v)
			continue;
		int r = fn(a->key, v, data, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int stanza_arg(const char *stanza, struct cr_error *err)
{
	int s = cr_stanza_lookup(stanza);
	if (s < 0)
		return cr_error_set(err, EINVAL, "unknown stanza '%s'", stanza);
	return s;
}

/* The mount whose directory the words name ("directory=/home"), if any. */
static struct cr_mount *find_mount_for(const struct cr_wpar_config *cfg, char *const *words,
				       size_t n)
{
	const char *dir = NULL;
	for (size_t i = 0; i < n; i++)
		if (strncasecmp(words[i], "directory=", 10) == 0)
			dir = words[i] + 10;
	return cr_config_find_mount(cfg, dir);
}

int cr_attrs_apply(struct cr_wpar_config *cfg, const char *stanza, char *const *words,
		   size_t n, struct cr_error *err)
{
	int s = stanza_arg(stanza, err);
	if (s < 0)
		return s;
	if (n == 0)
		return cr_error_set(err, EINVAL, "no attributes given for the %s stanza",
				    stanzas[s].name);
	struct cr_wpar_config tmp;
	int r = cr_config_copy(&tmp, cfg, err);
	if (r < 0)
		return r;
	size_t index = 0;
	struct cr_mount *same = s == CR_STANZA_MOUNT ? find_mount_for(&tmp, words, n) : NULL;
	if (same) {
		index = (size_t)(same - tmp.mounts);
	} else if ((s == CR_STANZA_MOUNT && !cr_config_add_mount(&tmp)) ||
		   (s == CR_STANZA_NETWORK && !cr_config_add_netif(&tmp))) {
		cr_config_free(&tmp);
		return cr_error_set(err, ENOMEM, "out of memory adding a %s entry", stanzas[s].name);
	} else {
		index = last_index(&tmp, (enum cr_stanza)s);
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		const char *eq = strchr(words[i], '=');
		if (!eq || eq == words[i]) {
			char shown[CR_SHOWN_SIZE];
			r = cr_error_set(err, EINVAL, "attribute '%s' is not key=value",
					 cr_shown(words[i], shown));
			break;
		}
		size_t klen = (size_t)(eq - words[i]);
		char op = klen > 1 && (eq[-1] == '+' || eq[-1] == '-') ? eq[-1] : 0;
		cleanup_free char *key = strndup(words[i], klen - (op != 0));
		if (!key)
			r = cr_error_set(err, ENOMEM, "out of memory");
		else if (op)
			r = attr_edit_at(&tmp, (enum cr_stanza)s, index, key, op, eq + 1, err);
		else
			r = attr_set_at(&tmp, (enum cr_stanza)s, index, key, eq + 1, err);
	}
	if (r < 0) {
		cr_config_free(&tmp);
		return r;
	}
	cr_config_free(cfg);
	*cfg = tmp;
	return 0;
}

/* chwpar -K -M directory=/x, -K -N address=a: drop the matching entries. */
static int remove_entries(struct cr_wpar_config *cfg, enum cr_stanza s, const char *word,
			  struct cr_error *err)
{
	char shown[CR_SHOWN_SIZE];
	const char *eq = strchr(word, '=');
	if (!eq || eq == word || !eq[1])
		return cr_error_set(err, EINVAL,
				    "name the %s entry to remove as attribute=value, not '%s'",
				    stanzas[s].name, cr_shown(word, shown));
	cleanup_free char *key = strndup(word, (size_t)(eq - word));
	if (!key)
		return cr_error_set(err, ENOMEM, "out of memory");
	const struct attr *a = find_attr(s, key);
	if (!a || a->kind == K_IGNORED)
		return cr_error_set(err, ENOENT, "unknown attribute '%s' in %s stanza",
				    cr_shown(key, shown), stanzas[s].name);
	size_t removed = 0;
	char buf[64];
	for (size_t i = last_index(cfg, s) + 1; i-- > 0;) {
		const char *v = format_value(stanza_base(cfg, s, i), a, buf, sizeof(buf));
		if (!v || strcmp(v, eq + 1) != 0)
			continue;
		if (s == CR_STANZA_MOUNT)
			cr_config_remove_mount(cfg, i);
		else
			cr_config_remove_netif(cfg, i);
		removed++;
	}
	if (!removed)
		return cr_error_set(err, ENOENT, "no %s entry with %s", stanzas[s].name,
				    cr_shown(word, shown));
	return 0;
}

int cr_attrs_remove(struct cr_wpar_config *cfg, const char *stanza, const char *key,
		    struct cr_error *err)
{
	int s = stanza_arg(stanza, err);
	if (s < 0)
		return s;
	if (s == CR_STANZA_MOUNT || s == CR_STANZA_NETWORK)
		return remove_entries(cfg, (enum cr_stanza)s, key, err);
	size_t len = strcspn(key, "=");
	char shown[CR_SHOWN_SIZE];
	if (key[len] == '=' && key[len + 1])
		return cr_error_set(err, EINVAL, "'%s': removing an attribute takes no value",
				    cr_shown(key, shown));
	cleanup_free char *k = strndup(key, len);
	if (!k)
		return cr_error_set(err, ENOMEM, "out of memory");
	const struct attr *a = find_attr(s, k);
	if (!a)
		return cr_error_set(err, ENOENT, "unknown attribute '%s' in %s stanza",
				    cr_shown(k, shown), stanzas[s].name);
	if (a->kind == K_NAME)
		return cr_error_set(err, EINVAL, "the partition name cannot be removed");
	return set_value(stanza_base(cfg, s, 0), a, "", err);
}

size_t cr_attrs_count_words(char *const *argv, int argc, int start)
{
	size_t n = 0;
	for (int i = start; i >= 0 && i < argc && argv[i]; i++, n++)
		if (argv[i][0] == '-' || !strchr(argv[i], '='))
			break;
	return n;
}
