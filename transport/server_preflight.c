/* Preflight: can this host take a partition? Every unmet need becomes one
 * reason; the answer's flag is true when there are none. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "check/host_facts.h"
#include "nfs/nfs.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "spec/config.h"
#include "spec/spec_file.h"
#include "transport/server.h"
#include "util/cleanup.h"
#include "util/paths.h"

static void add_reason(Crwire__Result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_reason(Crwire__Result *res, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char **v = realloc(res->reasons, (res->n_reasons + 1) * sizeof(*v));
	if (!v) {
		free(text);
		return;
	}
	res->reasons = v;
	v[res->n_reasons++] = text;
}

static bool criu_ready(void)
{
	struct cr_host_facts f = {0};
	struct cr_error e = CR_ERROR_INIT;
	bool ok = cr_host_facts_get(false, &f, &e) == 0 && cr_host_facts_ready(&f);
	cr_host_facts_free(&f);
	cr_error_clear(&e);
	return ok;
}

/* Post-copy (the need "lazy-pages"): `corral check` proved a lazy dump,
 * lazy-pages and restore round trip here. */
static void check_lazy(Crwire__Result *res)
{
	struct cr_host_facts f = {0};
	struct cr_error e = CR_ERROR_INIT;
	if (cr_host_facts_get(false, &f, &e) < 0)
		add_reason(res, "post-copy is unproven here: %s", cr_error_msg(&e));
	else if (f.probes[CR_PROBE_LAZY_PAGES].status != CR_PROBE_OK)
		add_reason(res, "post-copy does not work here: %s",
			   f.probes[CR_PROBE_LAZY_PAGES].detail ? f.probes[CR_PROBE_LAZY_PAGES].detail : "not proven");
	cr_host_facts_free(&f);
	cr_error_clear(&e);
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool parse_bytes(const char *text, unsigned long long *ret, Crwire__Result *res)
{
	char *end = NULL;
	errno = 0;
	*ret = strtoull(text, &end, 10);
	if (errno || end == text || *end) {
		add_reason(res, "bad byte count '%s'", text);
		return false;
	}
	return true;
}

/* Memory for the partition's pages: MemAvailable of /proc/meminfo. */
static void check_memory(const char *bytes_text, Crwire__Result *res)
{
	unsigned long long want = 0, avail_kib = 0;
	if (!parse_bytes(bytes_text, &want, res))
		return;
	cleanup_fclose FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	bool found = false;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &avail_kib) == 1) {
			found = true;
			break;
		}
	if (found && avail_kib * 1024 < want)
		add_reason(res, "%llu MiB of memory available, %llu MiB needed", avail_kib >> 10, want >> 20);
}

/* Free disk where relocated partitions land: the state and base directories. */
static void check_space(const char *bytes_text, Crwire__Result *res)
{
	unsigned long long want = 0;
	if (!parse_bytes(bytes_text, &want, res))
		return;
	const char *dirs[] = {CR_STATE_DIR, CR_BASE_DIR};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		cleanup_free char *path = NULL;
		if (cr_path(&path, NULL, "%s", dirs[i]) < 0)
			continue;
		/* The nearest existing ancestor tells the file system. */
		struct statvfs vfs;
		while (statvfs(path, &vfs) < 0) {
			char *slash = strrchr(path, '/');
			if (!slash || slash == path) {
				strcpy(path, "/");
				if (statvfs(path, &vfs) < 0)
					return;
				break;
			}
			*slash = '\0';
		}
		unsigned long long free_bytes = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
		if (free_bytes < want) {
			add_reason(res, "%llu MiB free in %s, %llu MiB needed", free_bytes >> 20, path,
				   want >> 20);
			return;
		}
	}
}

/* The partition's NFS exports seen from here hold the source's mark. */
static void check_nfs_mark(const struct cr_wpar_config *cfg, const char *token, Crwire__Result *res)
{
	struct cr_error e = CR_ERROR_INIT;
	if (!cfg)
		add_reason(res, "an NFS mark needs the partition's spec");
	else if (cr_nfs_mark_verify(cfg, token, &e) < 0)
		add_reason(res, "%s", cr_error_msg(&e));
	cr_error_clear(&e);
}

static void check_need(const struct cr_peer_info *l, const struct cr_wpar_config *cfg, const char *need,
		       Crwire__Result *res)
{
	if (strcmp(need, "criu") == 0) {
		if (!criu_ready())
			add_reason(res, "checkpoint and restart do not work on this host "
					"(see corral check)");
	} else if (strcmp(need, "fuse") == 0 || strcmp(need, "nfs-kernel") == 0) {
		if (!cr_peer_info_has_fs(l, need))
			add_reason(res, "this host has no %s", need);
	} else if (strncmp(need, "arch:", 5) == 0) {
		if (!same(l->arch, need + 5))
			add_reason(res, "architecture %s needed, this host is %s", need + 5,
				   l->arch ? l->arch : "unknown");
	} else if (strncmp(need, "cpu:", 4) == 0) {
		if (!cr_peer_info_has_cpu(l, need + 4))
			add_reason(res, "CPU feature %s is missing on this host", need + 4);
	} else if (strncmp(need, "cgroup:", 7) == 0) {
		if (!same(l->cgroup_mode, need + 7))
			add_reason(res, "cgroup mode %s needed, this host has %s", need + 7,
				   l->cgroup_mode ? l->cgroup_mode : "none detected");
	} else if (strcmp(need, "lazy-pages") == 0) {
		check_lazy(res);
	} else if (strcmp(need, "nfs") == 0) {
		if (!cr_peer_info_has_fs(l, "fuse") && !cr_peer_info_has_fs(l, "nfs-kernel"))
			add_reason(res, "this host can mount no NFS (no kernel client, no FUSE)");
	} else if (strncmp(need, "space:", 6) == 0) {
		check_space(need + 6, res);
	} else if (strncmp(need, "memory:", 7) == 0) {
		check_memory(need + 7, res);
	} else if (strncmp(need, "nfs-mark:", 9) == 0) {
		check_nfs_mark(cfg, need + 9, res);
	} else if (strncmp(need, "absent:", 7) == 0) {
		struct cr_error e = CR_ERROR_INIT;
		if (cr_name_validate(need + 7, &e) < 0)
			add_reason(res, "%s", cr_error_msg(&e));
		else if (cr_registry_exists(need + 7) == 1)
			add_reason(res, "a partition named %s already exists here", need + 7);
		cr_error_clear(&e);
	} else {
		add_reason(res, "unknown need '%s'", need);
	}
}

int cr_server_on_preflight(const struct cr_server_ctx *ctx, const Crwire__Preflight *req,
			   Crwire__Result *res)
{
	struct cr_wpar_config cfg;
	bool have_cfg = false;
	if (req->spec_text && *req->spec_text) {
		struct cr_error e = CR_ERROR_INIT;
		if (cr_spec_parse(req->spec_text, strlen(req->spec_text), "spec", &cfg, &e) < 0) {
			add_reason(res, "%s", cr_error_msg(&e));
		} else {
			have_cfg = true;
			/* Its network interfaces must exist here, its addresses be free. */
			if (cr_partition_net_validate(&cfg, cfg.name, &e) < 0)
				add_reason(res, "%s", cr_error_msg(&e));
		}
		cr_error_clear(&e);
	}
	for (size_t i = 0; i < req->n_needs; i++)
		check_need(ctx->local, have_cfg ? &cfg : NULL, req->needs[i], res);
	if (have_cfg)
		cr_config_free(&cfg);
	res->has_flag = true;
	res->flag = res->n_reasons == 0;
	return 0;
}
