#include "relocate/preflight.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition/lifecycle.h"
#include "spec/spec_file.h"
#include "transport/hello.h"
#include "util/cleanup.h"

struct needs {
	char **v;
	size_t n;
};

static void needs_free(struct needs *nd)
{
	for (size_t i = 0; i < nd->n; i++)
		free(nd->v[i]);
	free(nd->v);
}

static int need(struct needs *nd, struct cr_error *err, const char *fmt, const char *arg)
{
	char **v = realloc(nd->v, (nd->n + 1) * sizeof(*v));
	if (!v)
		return cr_error_set(err, ENOMEM, "out of memory");
	nd->v = v;
	if (asprintf(&v[nd->n], fmt, arg) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	nd->n++;
	return 0;
}

static int build_needs(const struct cr_wpar_config *cfg, bool live, uint64_t space, uint64_t memory,
		       struct needs *nd, struct cr_error *err)
{
	char space_text[32], memory_text[32];
	snprintf(space_text, sizeof(space_text), "%llu", (unsigned long long)space);
	snprintf(memory_text, sizeof(memory_text), "%llu", (unsigned long long)memory);
	int r = need(nd, err, "absent:%s", cfg->name);
	if (r == 0)
		r = need(nd, err, "space:%s", space_text);
	if (r == 0 && memory > 0)
		r = need(nd, err, "memory:%s", memory_text);
	if (r == 0 && cr_partition_nfs_root(cfg))
		r = need(nd, err, "%s", "nfs");
	if (r < 0 || !live)
		return r;
	struct cr_peer_info local = {0};
	if ((r = cr_peer_info_local(&local, err)) < 0)
		return r;
	r = need(nd, err, "%s", "criu");
	if (r == 0 && local.arch)
		r = need(nd, err, "arch:%s", local.arch);
	if (r == 0 && local.cgroup_mode)
		r = need(nd, err, "cgroup:%s", local.cgroup_mode);
	for (size_t i = 0; r == 0 && i < local.n_cpu_features; i++)
		r = need(nd, err, "cpu:%s", local.cpu_features[i]);
	cr_peer_info_free(&local);
	return r;
}

int cr_relocate_preflight(struct cr_peer *p, const struct cr_wpar_config *cfg, bool live,
			  uint64_t space_bytes, uint64_t memory_bytes, const char *nfs_mark,
			  struct cr_error *err)
{
	struct needs nd = {NULL, 0};
	cleanup_free char *spec = NULL;
	char **reasons = NULL;
	size_t n_reasons = 0;
	int r = build_needs(cfg, live, space_bytes, memory_bytes, &nd, err);
	if (r == 0 && nfs_mark)
		r = need(&nd, err, "nfs-mark:%s", nfs_mark);
	if (r == 0)
		r = cr_spec_write(cfg, &spec, err);
	if (r == 0)
		r = cr_peer_preflight(p, spec, (const char *const *)nd.v, nd.n, &reasons, &n_reasons, err);
	needs_free(&nd);
	if (r < 0)
		return cr_error_wrap(err, "pre-flight on %s", cr_peer_name(p));
	if (n_reasons == 0) {
		free(reasons);
		return 0;
	}
	size_t len = 0;
	for (size_t i = 0; i < n_reasons; i++)
		len += strlen(reasons[i]) + 2;
	cleanup_free char *all = calloc(1, len + 1);
	for (size_t i = 0; all && i < n_reasons; i++) {
		if (i)
			strcat(all, "; ");
		strcat(all, reasons[i]);
	}
	for (size_t i = 0; i < n_reasons; i++)
		free(reasons[i]);
	free(reasons);
	return cr_error_set(err, EAGAIN, "%s cannot take %s: %s", cr_peer_name(p), cfg->name,
			    all ? all : "(out of memory)");
}
