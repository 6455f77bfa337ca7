/* The rows a partition gives the -M, -N and -D listings, derived from its
 * configuration: what it mounts, its addresses, the devices it is given. */
#include <stdlib.h>
#include <string.h>

#include "partition/listing_int.h"
#include "util/cleanup.h"

/* Where DIR of the partition appears on the host: BASE joined with DIR. */
static char *host_path(const char *base, const char *dir)
{
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	if (!strcmp(dir, "/"))
		return bl ? strndup(base, bl) : strdup("/");
	char *p = NULL;
	if (asprintf(&p, "%.*s%s%s", (int)bl, base, dir[0] == '/' ? "" : "/", dir) < 0)
		return NULL;
	return p;
}

struct implicit_mount {
	const char *directory;
	const char *vfs;   /* NULL: "directory", or namefs when /usr is shared */
	const char *dev;
	const char *options;
	bool usr;          /* shared read-only from the host unless private /usr */
};

static const struct implicit_mount system_mounts[] = {
	{"/", NULL, NULL, NULL, false},
	{"/home", NULL, NULL, NULL, false},
	{"/opt", "namefs", "/opt", "ro", true},
	{"/proc", "proc", "proc", "rw", false},
	{"/tmp", NULL, NULL, NULL, false},
	{"/usr", "namefs", "/usr", "ro", true},
	{"/var", NULL, NULL, NULL, false},
};

static int add_mount(struct lst_table *it, const char *base, const char *dir, const char *vfs,
		     const char *dev, const char *host, const char *options, struct cr_error *err)
{
	cleanup_free char *where = host_path(base, dir);
	if (!where)
		return cr_error_set(err, ENOMEM, "out of memory listing mounts");
	if (!vfs)
		vfs = "directory";
	if (!dev)
		dev = !strcmp(vfs, "directory") ? where : vfs;
	const char *row[] = {where, dev, vfs, host, options};
	return lst_table_add(it, row, err);
}

static int compare_rows(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lst_mount_items(const struct cr_wpar *w, struct lst_table *ret, struct cr_error *err)
{
	const struct cr_wpar_config *c = &w->config;
	struct lst_table it;
	lst_table_init(&it, 5, NULL);
	bool app = c->type == CR_TYPE_APPLICATION;
	const char *base = app ? "/" : c->directory ? c->directory : "/";
	int r = 0;
	for (size_t i = 0; !app && i < sizeof(system_mounts) / sizeof(system_mounts[0]) && r >= 0; i++) {
		const struct implicit_mount *m = &system_mounts[i];
		if (cr_config_find_mount(c, m->directory))
			continue; /* the spec's stanza says how */
		bool private_copy = m->usr && c->private_usr; /* -l: a directory of its own */
		r = add_mount(&it, base, m->directory, private_copy ? NULL : m->vfs,
			      private_copy ? NULL : m->dev, NULL, private_copy ? NULL : m->options, err);
	}
	for (size_t i = 0; i < c->n_mounts && r >= 0; i++) {
		const struct cr_mount *m = &c->mounts[i];
		r = add_mount(&it, base, m->directory ? m->directory : "/", m->vfs, m->dev, m->host,
			      m->mountopts, err);
	}
	if (r < 0) {
		lst_table_free(&it);
		return r;
	}
	if (it.n_rows > 1)
		qsort(it.cells, it.n_rows, it.n_cols * sizeof(char *), compare_rows);
	*ret = it;
	return 0;
}

int lst_network_items(const struct cr_wpar *w, struct lst_table *ret, struct cr_error *err)
{
	struct lst_table it;
	lst_table_init(&it, 4, NULL);
	int r = 0;
	for (size_t i = 0; i < w->config.n_netifs && r >= 0; i++) {
		const struct cr_netif *n = &w->config.netifs[i];
		if (n->address || !n->address6) {
			const char *row[] = {n->interface, n->address, n->netmask, n->broadcast};
			r = lst_table_add(&it, row, err);
		}
		if (n->address6 && r >= 0) {
			const char *row[] = {n->interface, n->address6, n->prefixlen, NULL};
			r = lst_table_add(&it, row, err);
		}
	}
	if (r < 0) {
		lst_table_free(&it);
		return r;
	}
	*ret = it;
	return 0;
}

/* What a partition's /dev holds (AIX's devexports): "pseudo" devices are
 * shared as they are, "clone" devices hand out a new instance per open. */
static const char *const devices[][2] = {
	{"/dev/null", "pseudo"},    {"/dev/zero", "pseudo"},   {"/dev/full", "pseudo"},
	{"/dev/random", "pseudo"},  {"/dev/urandom", "pseudo"}, {"/dev/tty", "pseudo"},
	{"/dev/console", "pseudo"}, {"/dev/ptmx", "clone"},     {"/dev/pts", "clone"},
};

int lst_device_items(const struct cr_wpar *w, struct lst_table *ret, struct cr_error *err)
{
	(void)w;
	struct lst_table it;
	lst_table_init(&it, 2, NULL);
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		int r = lst_table_add(&it, devices[i], err);
		if (r < 0) {
			lst_table_free(&it);
			return r;
		}
	}
	*ret = it;
	return 0;
}
