/* This host's fleet configuration, $ROOT/etc/corral/fleet.conf: KEY=VALUE
 * lines (fleet, name, store, address, domain, ca, cert, key). */
#define LOG_PREFIX "fleet: "
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet.h"
#include "transport/netaddr.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/paths.h"

#define CONF_MAX (64 * 1024)

void cr_fleet_conf_free(struct cr_fleet_conf *c)
{
	if (!c)
		return;
	free(c->fleet);
	free(c->name);
	free(c->store);
	free(c->address);
	free(c->domain);
	free(c->load);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	memset(c, 0, sizeof(*c));
}

int cr_fleet_conf_path(char **ret, struct cr_error *err)
{
	return cr_path(ret, err, "/etc/corral/fleet.conf");
}

int cr_fleet_name_check(const char *what, const char *name, struct cr_error *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 63)
		return cr_error_set(err, EINVAL, "%s must have 1 to 63 characters", what);
	if (!isalnum((unsigned char)name[0]))
		return cr_error_set(err, EINVAL, "%s '%.63s' must start with a letter or digit", what, name);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_')
			return cr_error_set(err, EINVAL, "%s '%.63s' may hold only letters, digits, '-' and '_'",
					    what, name);
	return 0;
}

int cr_fleet_key(char **ret, const char *fleet, const char *item, struct cr_error *err)
{
	if (asprintf(ret, "/corral/fleets/%s/%s", fleet, item) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static bool is_loopback_host(const char *h, size_t n)
{
	return (n == 9 && !strncmp(h, "localhost", 9)) || (n >= 4 && !strncmp(h, "127.", 4)) ||
	       (n == 5 && !strncmp(h, "[::1]", 5));
}

/* Every URL of STORE: loopback, or https with a CA and a client key pair. */
static int check_store(const struct cr_fleet_conf *c, struct cr_error *err)
{
	const char *p = c->store;
	if (!p || !*p)
		return cr_error_set(err, EINVAL, "no store given (--store URL[,URL...])");
	while (*p) {
		size_t len = strcspn(p, ",");
		bool https = !strncmp(p, "https://", 8);
		if (!https && strncmp(p, "http://", 7))
			return cr_error_set(err, EINVAL, "store URL '%.*s' is not http:// or https://",
					    (int)(len > 80 ? 80 : len), p);
		const char *host = p + (https ? 8 : 7);
		size_t hlen = strcspn(host, ",/");
		const char *colon = memrchr(host, ':', hlen);
		if (colon && host[0] != '[')
			hlen = (size_t)(colon - host);
		else if (host[0] == '[')
			hlen = strcspn(host, "]") + 1;
		if (!is_loopback_host(host, hlen) && !(https && c->ca_file && c->cert_file && c->key_file))
			return cr_error_set(err, EPERM,
					    "store '%.*s' is not on loopback: it is reached only over "
					    "https with --ca, --cert and --key (client certificates)",
					    (int)(len > 80 ? 80 : len), p);
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int cr_fleet_conf_check(const struct cr_fleet_conf *c, struct cr_error *err)
{
	const char *texts[] = {c->store, c->address, c->ca_file, c->cert_file, c->key_file};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i] && strpbrk(texts[i], "\n\r"))
			return cr_error_set(err, EINVAL, "a fleet setting holds a line break");
	int r = cr_fleet_name_check("fleet name", c->fleet, err);
	if (r == 0)
		r = cr_fleet_name_check("host name", c->name, err);
	if (r == 0 && c->domain)
		r = cr_fleet_name_check("relocation domain", c->domain, err);
	if (r == 0 && c->load && strcmp(c->load, "host") && strcmp(c->load, "partitions"))
		r = cr_error_set(err, EINVAL, "load source '%.20s': host or partitions", c->load);
	if (r == 0)
		r = check_store(c, err);
	if (r == 0 && !c->address)
		r = cr_error_set(err, EINVAL, "no address for this host's corrald (--address IP[:PORT])");
	if (r == 0) {
		cleanup_free char *host = NULL;
		int port = 0;
		r = cr_addr_split(c->address, 7711, &host, &port, err);
	}
	return r;
}

static int set_field(struct cr_fleet_conf *c, const char *key, const char *value, struct cr_error *err)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
		{"fleet", offsetof(struct cr_fleet_conf, fleet)},
		{"name", offsetof(struct cr_fleet_conf, name)},
		{"store", offsetof(struct cr_fleet_conf, store)},
		{"address", offsetof(struct cr_fleet_conf, address)},
		{"domain", offsetof(struct cr_fleet_conf, domain)},
		{"load", offsetof(struct cr_fleet_conf, load)},
		{"ca", offsetof(struct cr_fleet_conf, ca_file)},
		{"cert", offsetof(struct cr_fleet_conf, cert_file)},
		{"key", offsetof(struct cr_fleet_conf, key_file)},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(fields[i].key, key))
			continue;
		char **slot = (char **)((char *)c + fields[i].off);
		if (*slot)
			return cr_error_set(err, EINVAL, "'%s' is given twice", key);
		if (!(*slot = strdup(value)))
			return cr_error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	return cr_error_set(err, EINVAL, "unknown key '%.40s'", key);
}

int cr_fleet_conf_load(struct cr_fleet_conf *ret, struct cr_error *err)
{
	cleanup_free char *path = NULL, *text = NULL;
	size_t len = 0;
	int r = cr_fleet_conf_path(&path, err);
	if (r < 0)
		return r;
	if (!cr_path_exists(path))
		return cr_error_set(err, ENOENT, "this host is in no fleet (no %s)", path);
	if ((r = cr_read_file(path, CONF_MAX, &text, &len, err)) < 0)
		return r;
	struct cr_fleet_conf c = {0};
	unsigned lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *eq = strchr(line, '=');
		if (!eq) {
			r = cr_error_set(err, EINVAL, "no '=' in the line");
		} else {
			*eq = '\0';
			r = set_field(&c, line, eq + 1, err);
		}
		if (r < 0)
			r = cr_error_wrap(err, "%s:%u", path, lineno);
	}
	if (r == 0 && !c.domain && !(c.domain = strdup("default")))
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0 && (r = cr_fleet_conf_check(&c, err)) < 0)
		r = cr_error_wrap(err, "%s", path);
	if (r < 0) {
		cr_fleet_conf_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

int cr_fleet_conf_save(const struct cr_fleet_conf *c, struct cr_error *err)
{
	cleanup_free char *path = NULL, *text = NULL;
	int r = cr_fleet_conf_check(c, err);
	if (r == 0)
		r = cr_fleet_conf_path(&path, err);
	if (r < 0)
		return r;
	if (asprintf(&text,
		     "# This host's fleet (corral fleet init/join); the fleet's state is in the store.\n"
		     "fleet=%s\nname=%s\nstore=%s\naddress=%s\ndomain=%s\nload=%s\n%s%s%s%s%s%s%s%s%s",
		     c->fleet, c->name, c->store, c->address, c->domain ? c->domain : "default",
		     c->load ? c->load : "host",
		     c->ca_file ? "ca=" : "", c->ca_file ? c->ca_file : "", c->ca_file ? "\n" : "",
		     c->cert_file ? "cert=" : "", c->cert_file ? c->cert_file : "", c->cert_file ? "\n" : "",
		     c->key_file ? "key=" : "", c->key_file ? c->key_file : "", c->key_file ? "\n" : "") < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if ((r = cr_mkdir_parent(path, 0755, err)) < 0)
		return r;
	return cr_write_file_atomic(path, text, strlen(text), 0600, err);
}

int cr_fleet_open_store(const struct cr_fleet_conf *c, struct cr_etcd **ret, struct cr_error *err)
{
	struct cr_etcd_options o = {
		.endpoints = c->store,
		.timeout_ms = CR_ETCD_DEFAULT_TIMEOUT_MS,
		.ca_file = c->ca_file,
		.cert_file = c->cert_file,
		.key_file = c->key_file,
	};
	return cr_etcd_open(&o, ret, err);
}

/* A host acts for the fleet only while the store has its record: one
 * removed (it left, and a copy of fleet.conf came back) does not. */
static int still_member(struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_error *err)
{
	cleanup_free char *key = NULL;
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	int r = asprintf(&key, "/corral/fleets/%s/hosts/%s", c->fleet, c->name) < 0
			? cr_error_set(err, ENOMEM, "out of memory")
			: cr_etcd_get(e, key, &kv, err);
	if (r == 0)
		return cr_error_set(err, EPERM, "this host (%s) is not a member of fleet %s: it left or was removed "
				    "(its fleet.conf is stale)", c->name, c->fleet);
	return r < 0 ? r : 0;
}

int cr_fleet_connect(struct cr_fleet_conf *ret_conf, struct cr_etcd **ret_store, struct cr_error *err)
{
	int r = cr_fleet_conf_load(ret_conf, err);
	if (r < 0)
		return r;
	if ((r = cr_fleet_open_store(ret_conf, ret_store, err)) == 0 && (r = still_member(*ret_store, ret_conf, err)) < 0) {
		cr_etcd_close(*ret_store);
		*ret_store = NULL;
	}
	if (r < 0)
		cr_fleet_conf_free(ret_conf);
	return r;
}
