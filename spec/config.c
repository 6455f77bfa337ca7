/* A partition's configuration in memory: defaults, ownership, deep copies,
 * the mount and network lists, and filling in what the user left out.
 * The checks live in config_validate.c. */
#include "spec/config.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/paths.h"

void cr_config_init(struct cr_wpar_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->type = CR_TYPE_SYSTEM;
	cr_resources_init(&cfg->resources);
}

void cr_resources_init(struct cr_resources *res)
{
	memset(res, 0, sizeof(*res));
	res->active = true;
	res->cpu_shares = CR_UNSET;
	res->cpu_min = res->cpu_softmax = res->cpu_hardmax = CR_UNSET;
	res->memory_shares = CR_UNSET;
	res->memory_min = res->memory_softmax = res->memory_hardmax = CR_UNSET;
	res->memory_limit = CR_UNSET;
	res->proc_virt_mem = CR_UNSET;
	res->total_processes = CR_UNSET;
	res->total_threads = CR_UNSET;
}

void cr_mount_free(struct cr_mount *m)
{
	free(m->directory);
	free(m->vfs);
	free(m->dev);
	free(m->host);
	free(m->mountopts);
	memset(m, 0, sizeof(*m));
}

void cr_netif_free(struct cr_netif *n)
{
	free(n->interface);
	free(n->address);
	free(n->netmask);
	free(n->broadcast);
	free(n->address6);
	free(n->prefixlen);
	free(n->gateway);
	memset(n, 0, sizeof(*n));
}

void cr_config_free(struct cr_wpar_config *cfg)
{
	free(cfg->name);
	free(cfg->hostname);
	free(cfg->directory);
	free(cfg->script);
	free(cfg->devices);
	free(cfg->owner);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		cr_mount_free(&cfg->mounts[i]);
	free(cfg->mounts);
	for (size_t i = 0; i < cfg->n_netifs; i++)
		cr_netif_free(&cfg->netifs[i]);
	free(cfg->netifs);
	free(cfg->resources.rset);
	free(cfg->security.privs);
	free(cfg->security.syscalls);
	cr_config_init(cfg);
}

/* Duplicate *P in place (NULL stays NULL); false when out of memory, leaving
 * *P NULL so the owner can be freed safely. */
static bool dup_in_place(char **p)
{
	if (!*p)
		return true;
	*p = strdup(*p);
	return *p != NULL;
}

static bool dup_mount(struct cr_mount *m)
{
	bool ok = dup_in_place(&m->directory);
	ok = dup_in_place(&m->vfs) && ok;
	ok = dup_in_place(&m->dev) && ok;
	ok = dup_in_place(&m->host) && ok;
	return dup_in_place(&m->mountopts) && ok;
}

static bool dup_netif(struct cr_netif *n)
{
	bool ok = dup_in_place(&n->interface);
	ok = dup_in_place(&n->address) && ok;
	ok = dup_in_place(&n->netmask) && ok;
	ok = dup_in_place(&n->broadcast) && ok;
	ok = dup_in_place(&n->address6) && ok;
	ok = dup_in_place(&n->gateway) && ok;
	return dup_in_place(&n->prefixlen) && ok;
}

/* Copy an array of N elements of SIZE bytes; NULL for an empty one. */
static void *dup_array(const void *src, size_t n, size_t size, bool *ok)
{
	if (n == 0)
		return NULL;
	void *p = calloc(n, size);
	if (!p) {
		*ok = false;
		return NULL;
	}
	memcpy(p, src, n * size);
	return p;
}

int cr_config_copy(struct cr_wpar_config *ret, const struct cr_wpar_config *src,
		   struct cr_error *err)
{
	struct cr_wpar_config c = *src;
	bool ok = true;
	/* Every pointer of c still aliases SRC; replace each with its own copy
	 * before anything can fail, so a partial copy can be freed. */
	c.mounts = dup_array(src->mounts, src->n_mounts, sizeof(*c.mounts), &ok);
	c.netifs = dup_array(src->netifs, src->n_netifs, sizeof(*c.netifs), &ok);
	if (!c.mounts)
		c.n_mounts = 0;
	if (!c.netifs)
		c.n_netifs = 0;
	for (size_t i = 0; i < c.n_mounts; i++)
		ok = dup_mount(&c.mounts[i]) && ok;
	for (size_t i = 0; i < c.n_netifs; i++)
		ok = dup_netif(&c.netifs[i]) && ok;
	ok = dup_in_place(&c.name) && ok;
	ok = dup_in_place(&c.hostname) && ok;
	ok = dup_in_place(&c.directory) && ok;
	ok = dup_in_place(&c.script) && ok;
	ok = dup_in_place(&c.devices) && ok;
	ok = dup_in_place(&c.owner) && ok;
	ok = dup_in_place(&c.resources.rset) && ok;
	ok = dup_in_place(&c.security.privs) && ok;
	ok = dup_in_place(&c.security.syscalls) && ok;
	if (!ok) {
		cr_config_free(&c);
		return cr_error_set(err, ENOMEM, "out of memory copying the configuration of %s",
				    src->name ? src->name : "a partition");
	}
	*ret = c;
	return 0;
}

/* Grow *ARRAY of *N elements by one zeroed element; NULL on ENOMEM. */
static void *append_zeroed(void **array, size_t *n, size_t size)
{
	if (*n >= ((size_t)-1) / size / 2)
		return NULL;
	char *p = realloc(*array, (*n + 1) * size);
	if (!p)
		return NULL;
	*array = p;
	char *elem = p + *n * size;
	memset(elem, 0, size);
	(*n)++;
	return elem;
}

struct cr_mount *cr_config_add_mount(struct cr_wpar_config *cfg)
{
	return append_zeroed((void **)&cfg->mounts, &cfg->n_mounts, sizeof(*cfg->mounts));
}

struct cr_netif *cr_config_add_netif(struct cr_wpar_config *cfg)
{
	return append_zeroed((void **)&cfg->netifs, &cfg->n_netifs, sizeof(*cfg->netifs));
}

struct cr_mount *cr_config_find_mount(const struct cr_wpar_config *cfg, const char *directory)
{
	if (!directory)
		return NULL;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cfg->mounts[i].directory && strcmp(cfg->mounts[i].directory, directory) == 0)
			return &cfg->mounts[i];
	return NULL;
}

void cr_config_remove_mount(struct cr_wpar_config *cfg, size_t index)
{
	if (index >= cfg->n_mounts)
		return;
	cr_mount_free(&cfg->mounts[index]);
	memmove(&cfg->mounts[index], &cfg->mounts[index + 1],
		(cfg->n_mounts - index - 1) * sizeof(*cfg->mounts));
	cfg->n_mounts--;
}

void cr_config_remove_netif(struct cr_wpar_config *cfg, size_t index)
{
	if (index >= cfg->n_netifs)
		return;
	cr_netif_free(&cfg->netifs[index]);
	memmove(&cfg->netifs[index], &cfg->netifs[index + 1],
		(cfg->n_netifs - index - 1) * sizeof(*cfg->netifs));
	cfg->n_netifs--;
}

static int set_default(char **field, const char *value, const char *what, const char *name,
		       struct cr_error *err)
{
	if (*field)
		return 0;
	*field = strdup(value);
	if (!*field)
		return cr_error_set(err, ENOMEM, "out of memory setting the %s of %s", what, name);
	return 0;
}

int cr_config_complete(struct cr_wpar_config *cfg, struct cr_error *err)
{
	int r = cr_name_validate(cfg->name, err);
	if (r < 0)
		return r;
	r = set_default(&cfg->hostname, cfg->name, "hostname", cfg->name, err);
	if (r < 0)
		return r;
	if (!cfg->directory) {
		r = cr_path_name(&cfg->directory, CR_BASE_DIR, cfg->name, "", err);
		if (r < 0)
			return cr_error_wrap(err, "base directory of %s", cfg->name);
	}
	r = set_default(&cfg->owner, "root", "owner", cfg->name, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		r = set_default(&cfg->mounts[i].vfs, "directory", "mount type", cfg->name, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool str_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool mount_equal(const struct cr_mount *a, const struct cr_mount *b)
{
	return str_equal(a->directory, b->directory) && str_equal(a->vfs, b->vfs) &&
	       str_equal(a->dev, b->dev) && str_equal(a->host, b->host) &&
	       str_equal(a->mountopts, b->mountopts);
}

static bool netif_equal(const struct cr_netif *a, const struct cr_netif *b)
{
	return str_equal(a->interface, b->interface) && str_equal(a->address, b->address) &&
	       str_equal(a->netmask, b->netmask) && str_equal(a->broadcast, b->broadcast) &&
	       str_equal(a->address6, b->address6) && str_equal(a->prefixlen, b->prefixlen) &&
	       str_equal(a->gateway, b->gateway);
}

static bool resources_equal(const struct cr_resources *a, const struct cr_resources *b)
{
	return a->active == b->active && str_equal(a->rset, b->rset) &&
	       a->cpu_shares == b->cpu_shares && a->cpu_min == b->cpu_min &&
	       a->cpu_softmax == b->cpu_softmax && a->cpu_hardmax == b->cpu_hardmax &&
	       a->memory_shares == b->memory_shares && a->memory_min == b->memory_min &&
	       a->memory_softmax == b->memory_softmax &&
	       a->memory_hardmax == b->memory_hardmax && a->memory_limit == b->memory_limit &&
	       a->proc_virt_mem == b->proc_virt_mem && a->total_processes == b->total_processes &&
	       a->total_threads == b->total_threads;
}

bool cr_config_equal(const struct cr_wpar_config *a, const struct cr_wpar_config *b)
{
	if (!str_equal(a->name, b->name) || !str_equal(a->hostname, b->hostname) ||
	    !str_equal(a->directory, b->directory) || a->type != b->type ||
	    a->checkpointable != b->checkpointable || a->autostart != b->autostart ||
	    a->private_usr != b->private_usr ||
	    a->copy_name_resolution != b->copy_name_resolution || a->preserve != b->preserve ||
	    !str_equal(a->script, b->script) || !str_equal(a->devices, b->devices) ||
	    !str_equal(a->owner, b->owner) || a->n_mounts != b->n_mounts ||
	    a->n_netifs != b->n_netifs || !resources_equal(&a->resources, &b->resources) ||
	    !str_equal(a->security.privs, b->security.privs) ||
	    !str_equal(a->security.syscalls, b->security.syscalls))
		return false;
	for (size_t i = 0; i < a->n_mounts; i++)
		if (!mount_equal(&a->mounts[i], &b->mounts[i]))
			return false;
	for (size_t i = 0; i < a->n_netifs; i++)
		if (!netif_equal(&a->netifs[i], &b->netifs[i]))
			return false;
	return true;
}
