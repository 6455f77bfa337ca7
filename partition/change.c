/* chwpar's engine: change a copy of the configuration, check what the
 * partition's state allows, carry it out, then save the spec. */
#define LOG_PREFIX "change: "
#include "partition/change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "partition/caps.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define LOCK_TIMEOUT_MS 10000

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool resources_equal(const struct cr_resources *a, const struct cr_resources *b)
{
	return a->active == b->active && str_eq(a->rset, b->rset) && a->cpu_shares == b->cpu_shares &&
	       a->cpu_min == b->cpu_min && a->cpu_softmax == b->cpu_softmax &&
	       a->cpu_hardmax == b->cpu_hardmax && a->memory_shares == b->memory_shares &&
	       a->memory_min == b->memory_min && a->memory_softmax == b->memory_softmax &&
	       a->memory_hardmax == b->memory_hardmax && a->memory_limit == b->memory_limit &&
	       a->proc_virt_mem == b->proc_virt_mem && a->total_processes == b->total_processes &&
	       a->total_threads == b->total_threads;
}

/* A default configuration holding only C's mount (or network) list, so
 * cr_config_equal compares just that list. */
static void list_view(struct cr_wpar_config *v, const struct cr_wpar_config *c, bool mounts)
{
	cr_config_init(v);
	if (mounts) {
		v->mounts = c->mounts;
		v->n_mounts = c->n_mounts;
	} else {
		v->netifs = c->netifs;
		v->n_netifs = c->n_netifs;
	}
}

static bool lists_equal(const struct cr_wpar_config *a, const struct cr_wpar_config *b, bool mounts)
{
	struct cr_wpar_config x, y;
	list_view(&x, a, mounts);
	list_view(&y, b, mounts);
	return cr_config_equal(&x, &y);
}

static bool others_equal(const struct cr_wpar_config *a, const struct cr_wpar_config *b)
{
	return a->type == b->type && a->autostart == b->autostart && a->private_usr == b->private_usr &&
	       a->copy_name_resolution == b->copy_name_resolution && a->preserve == b->preserve &&
	       str_eq(a->script, b->script) && str_eq(a->devices, b->devices) &&
	       str_eq(a->owner, b->owner);
}

unsigned cr_change_diff(const struct cr_wpar_config *o, const struct cr_wpar_config *n)
{
	unsigned mask = 0;
	if (!str_eq(o->name, n->name))
		mask |= CR_CHANGE_NAME;
	if (!str_eq(o->hostname, n->hostname))
		mask |= CR_CHANGE_HOSTNAME;
	if (!str_eq(o->directory, n->directory))
		mask |= CR_CHANGE_DIRECTORY;
	if (!lists_equal(o, n, true))
		mask |= CR_CHANGE_MOUNTS;
	if (!lists_equal(o, n, false))
		mask |= CR_CHANGE_NETWORK;
	if (!resources_equal(&o->resources, &n->resources))
		mask |= CR_CHANGE_RESOURCES;
	if (!str_eq(o->security.privs, n->security.privs) ||
	    !str_eq(o->security.syscalls, n->security.syscalls))
		mask |= CR_CHANGE_SECURITY;
	if (o->checkpointable != n->checkpointable)
		mask |= CR_CHANGE_CHECKPOINTABLE;
	if (!others_equal(o, n))
		mask |= CR_CHANGE_OTHER;
	return mask;
}

const char *cr_change_what(unsigned bit)
{
	switch (bit) {
	case CR_CHANGE_NAME: return "name";
	case CR_CHANGE_HOSTNAME: return "hostname";
	case CR_CHANGE_DIRECTORY: return "base directory";
	case CR_CHANGE_MOUNTS: return "mounts";
	case CR_CHANGE_NETWORK: return "network";
	case CR_CHANGE_RESOURCES: return "resource controls";
	case CR_CHANGE_SECURITY: return "security privileges";
	case CR_CHANGE_CHECKPOINTABLE: return "checkpointable attribute";
	case CR_CHANGE_OTHER: return "general attributes";
	}
	return "attributes";
}

/* What a partition that holds (or may hold) processes can take. */
#define CR_CHANGE_LIVE_OK (CR_CHANGE_HOSTNAME | CR_CHANGE_RESOURCES | CR_CHANGE_OTHER)

int cr_change_check_allowed(const char *name, int state, unsigned mask, struct cr_error *err)
{
	switch (state) {
	case CR_STATE_DEFINED:
		return 0;
	case CR_STATE_TRANSITIONAL:
		return cr_error_set(err, EBUSY, "%s is Transitional: try again when the operation ends",
				    name);
	case CR_STATE_BROKEN:
		return cr_error_set(err, EBUSY, "%s is Broken: clear it with stopwpar -F first", name);
	default:
		break;
	}
	unsigned refused = mask & ~(unsigned)CR_CHANGE_LIVE_OK;
	if (!refused)
		return 0;
	unsigned bit = refused & -refused;
	return cr_error_set(err, EBUSY, "cannot change the %s of %s while it is %s: stop it first",
			    cr_change_what(bit), name, cr_state_name((enum cr_state)state));
}

/* A rename takes the default base directory (and a hostname that was the
 * name) along to the new name, unless the caller changed them too. */
static int follow_rename(const struct cr_wpar_config *old_cfg, struct cr_wpar_config *cfg,
			 struct cr_error *err)
{
	if (str_eq(old_cfg->name, cfg->name))
		return 0;
	if (str_eq(cfg->hostname, old_cfg->hostname) && str_eq(old_cfg->hostname, old_cfg->name)) {
		char *h = strdup(cfg->name);
		if (!h)
			return cr_error_set(err, ENOMEM, "out of memory");
		free(cfg->hostname);
		cfg->hostname = h;
	}
	cleanup_free char *old_default = NULL;
	int r = cr_path_name(&old_default, CR_BASE_DIR, old_cfg->name, "", err);
	if (r < 0)
		return r;
	if (cfg->type != CR_TYPE_SYSTEM || !str_eq(cfg->directory, old_cfg->directory) ||
	    !str_eq(old_cfg->directory, old_default))
		return 0;
	char *d = NULL;
	if ((r = cr_path_name(&d, CR_BASE_DIR, cfg->name, "", err)) < 0)
		return r;
	free(cfg->directory);
	cfg->directory = d;
	return 0;
}

/* The new name must be free; its lock is held until the change is saved. */
static int claim_new_name(const char *name, int *ret_lock, struct cr_error *err)
{
	cleanup_free char *state_dir = NULL;
	int r = cr_name_validate(name, err);
	if (r < 0)
		return r;
	if ((r = cr_registry_lock(name, LOCK_TIMEOUT_MS, ret_lock, err)) < 0)
		return r;
	if ((r = cr_path_name(&state_dir, CR_STATE_DIR, name, "", err)) < 0)
		return r;
	if (cr_registry_exists(name) || cr_path_exists(state_dir))
		return cr_error_set(err, EEXIST, "a partition named %s already exists", name);
	return 0;
}

struct change_ctx {
	struct cr_wpar w;            /* as recorded */
	struct cr_wpar_config cfg;   /* as wanted */
	unsigned mask;
	struct cr_change_result res;
};

static int carry_out(struct change_ctx *c, struct cr_error *err)
{
	const struct cr_wpar_config *old_cfg = &c->w.config;
	enum cr_state s = c->w.state.state;
	int r;
	bool has_processes = s == CR_STATE_ACTIVE || s == CR_STATE_FROZEN ||
			     (s == CR_STATE_PAUSED && c->w.state.monitor_pid > 0 && c->w.state.init_pid > 0);
	if (has_processes) {
		if ((r = cr_change_live(&c->w, &c->cfg, c->mask, &c->res, err)) < 0)
			return r;
	} else if (s == CR_STATE_DEFINED && (c->mask & (CR_CHANGE_NAME | CR_CHANGE_DIRECTORY))) {
		if ((r = cr_change_move(old_cfg, &c->cfg, &c->res, err)) < 0)
			return r;
	}
	if ((r = cr_registry_save_config(&c->cfg, err)) < 0)
		goto undo;
	if (c->res.renamed && (r = cr_registry_remove_config(old_cfg->name, err)) < 0) {
		cr_registry_remove_config(c->cfg.name, NULL);
		goto undo;
	}
	c->res.changed = true;
	return 0;
undo:
	cr_change_live_undo(&c->w, &c->cfg, &c->res);
	cr_change_move_undo(old_cfg, &c->cfg, &c->res);
	return r;
}

int cr_partition_change(const char *name, cr_change_fn apply, void *data,
			struct cr_change_result *ret, struct cr_error *err)
{
	cleanup_close int lock = -1;
	cleanup_close int new_lock = -1;
	struct change_ctx c;
	memset(&c, 0, sizeof(c));
	int r = cr_registry_lock(name, LOCK_TIMEOUT_MS, &lock, err);
	if (r < 0)
		return r;
	if ((r = cr_registry_load(name, &c.w, err)) < 0)
		return r;
	cr_config_init(&c.cfg);
	if ((r = cr_config_copy(&c.cfg, &c.w.config, err)) < 0)
		goto out;
	if ((r = apply(&c.cfg, data, err)) < 0 || (r = follow_rename(&c.w.config, &c.cfg, err)) < 0 ||
	    (r = cr_config_complete(&c.cfg, err)) < 0 || (r = cr_config_validate(&c.cfg, err)) < 0 ||
	    (r = cr_caps_validate_security(&c.cfg.security, err)) < 0)
		goto out;
	c.mask = cr_change_diff(&c.w.config, &c.cfg);
	cr_debug("%s: changes 0x%x in state %c", name, c.mask, (char)c.w.state.state);
	if (!c.mask)
		goto done;
	if ((r = cr_change_check_allowed(name, c.w.state.state, c.mask, err)) < 0)
		goto out;
	if ((c.mask & CR_CHANGE_NAME) && (r = claim_new_name(c.cfg.name, &new_lock, err)) < 0)
		goto out;
	/* The network pre-flight of mkwpar: interfaces exist, addresses free. */
	if ((c.mask & CR_CHANGE_NETWORK) && (r = cr_partition_net_validate(&c.cfg, name, err)) < 0)
		goto out;
	if ((r = carry_out(&c, err)) < 0)
		goto out;
	if (c.res.renamed)
		cr_partition_log(c.cfg.name, "renamed from %s", name);
	else
		cr_partition_log(name, "attributes changed (chwpar)");
done:
	if (ret)
		*ret = c.res;
out:
	cr_config_free(&c.cfg);
	cr_wpar_free(&c.w);
	return r;
}
