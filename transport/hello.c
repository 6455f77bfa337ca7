/* Building, sending and checking Hello messages. */
#include "transport/hello.h"
#include "transport_wire.pb-c.h"

#include <stdlib.h>
#include <string.h>

#include "check/criu_features.h"
#include "check/host_facts.h"
#include "formats/image_hostinfo.h"
#include "util/cleanup.h"

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void cr_peer_info_free(struct cr_peer_info *i)
{
	free(i->corral_version);
	free(i->criu_version);
	free(i->kernel);
	free(i->arch);
	free(i->cgroup_mode);
	free(i->hostname);
	free_strv(i->cpu_features, i->n_cpu_features);
	free_strv(i->fs_options, i->n_fs_options);
	free_strv(i->criu_features, i->n_criu_features);
	memset(i, 0, sizeof(*i));
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = strdup(src)))
		return -ENOMEM;
	return 0;
}

static int dup_strv(char ***dst, size_t *dst_n, char *const *src, size_t n)
{
	*dst = NULL;
	*dst_n = 0;
	if (n == 0)
		return 0;
	char **v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!(v[i] = strdup(src[i] ? src[i] : ""))) {
			free_strv(v, i);
			return -ENOMEM;
		}
	}
	*dst = v;
	*dst_n = n;
	return 0;
}

int cr_peer_info_copy(const struct cr_peer_info *s, struct cr_peer_info *ret,
		      struct cr_error *err)
{
	struct cr_peer_info d = {.proto_major = s->proto_major, .proto_minor = s->proto_minor};
	if (dup_str(&d.corral_version, s->corral_version) < 0 ||
	    dup_str(&d.criu_version, s->criu_version) < 0 || dup_str(&d.kernel, s->kernel) < 0 ||
	    dup_str(&d.arch, s->arch) < 0 || dup_str(&d.cgroup_mode, s->cgroup_mode) < 0 ||
	    dup_str(&d.hostname, s->hostname) < 0 ||
	    dup_strv(&d.cpu_features, &d.n_cpu_features, s->cpu_features, s->n_cpu_features) < 0 ||
	    dup_strv(&d.fs_options, &d.n_fs_options, s->fs_options, s->n_fs_options) < 0 ||
	    dup_strv(&d.criu_features, &d.n_criu_features, s->criu_features, s->n_criu_features) < 0) {
		cr_peer_info_free(&d);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	*ret = d;
	return 0;
}

static int parse_u32(const char *s, char **end, uint32_t *ret)
{
	errno = 0;
	unsigned long v = strtoul(s, end, 10);
	if (errno || *end == s || v > 65535)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* The advertised version: the real one, or the test override. */
static int local_version(struct cr_peer_info *i, struct cr_error *err)
{
	i->proto_major = CR_PROTO_MAJOR;
	i->proto_minor = CR_PROTO_MINOR;
	const char *o = getenv(CR_PROTO_VERSION_ENV);
	if (!o || !*o)
		return 0;
	char *end = NULL;
	if (parse_u32(o, &end, &i->proto_major) < 0 || *end != '.' ||
	    parse_u32(end + 1, &end, &i->proto_minor) < 0 || *end)
		return cr_error_set(err, EINVAL, "%s='%s': expected MAJOR.MINOR", CR_PROTO_VERSION_ENV,
				    o);
	return 0;
}

static int add_str(char ***list, size_t *n, const char *name)
{
	char **v = realloc(*list, (*n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*list = v;
	if (!(v[*n] = strdup(name)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int add_fs(struct cr_peer_info *i, const char *name)
{
	return add_str(&i->fs_options, &i->n_fs_options, name);
}

static int from_facts(struct cr_peer_info *i, const struct cr_host_facts *f)
{
	if (dup_str(&i->criu_version, f->criu_version) < 0 ||
	    dup_str(&i->cgroup_mode, f->cgroup_mode) < 0)
		return -ENOMEM;
	if (f->probes[CR_PROBE_NFS_CLIENT].status == CR_PROBE_OK && add_fs(i, "nfs-kernel") < 0)
		return -ENOMEM;
	if (f->probes[CR_PROBE_FUSE].status == CR_PROBE_OK && add_fs(i, "fuse") < 0)
		return -ENOMEM;
	if (cr_criu_feature_here(f, CR_CRIU_FEATURE_TMPFS_TAR) &&
	    add_str(&i->criu_features, &i->n_criu_features, CR_CRIU_FEATURE_TMPFS_TAR) < 0)
		return -ENOMEM;
	if (cr_criu_feature_here(f, CR_CRIU_FEATURE_LAZY_ANY_ORDER) &&
	    add_str(&i->criu_features, &i->n_criu_features, CR_CRIU_FEATURE_LAZY_ANY_ORDER) < 0)
		return -ENOMEM;
	return 0;
}

int cr_peer_info_local(struct cr_peer_info *ret, struct cr_error *err)
{
	struct cr_peer_info i = {0};
	struct cr_image_manifest m = {0};
	struct cr_host_facts f = {0};
	int r = local_version(&i, err);
	if (r == 0)
		r = cr_image_probe_host(&m, err);
	if (r == 0)
		r = cr_host_facts_get(false, &f, err);
	if (r == 0 && (dup_str(&i.corral_version, CORRAL_VERSION) < 0 || from_facts(&i, &f) < 0 ||
		       dup_str(&i.kernel, m.kernel) < 0 || dup_str(&i.arch, m.arch) < 0 ||
		       dup_str(&i.hostname, m.hostname) < 0 ||
		       dup_strv(&i.cpu_features, &i.n_cpu_features, m.cpu_features,
				m.n_cpu_features) < 0))
		r = cr_error_set(err, ENOMEM, "out of memory");
	cr_host_facts_free(&f);
	cr_image_manifest_free(&m);
	if (r < 0) {
		cr_peer_info_free(&i);
		return cr_error_wrap(err, "describing this host");
	}
	*ret = i;
	return 0;
}

int cr_hello_check_version(const struct cr_peer_info *local, uint32_t remote_major,
			   uint32_t remote_minor, const char *who, struct cr_error *err)
{
	if (remote_major == local->proto_major)
		return 0;
	return cr_error_set(err, EPROTONOSUPPORT,
			    "%s speaks protocol version %u.%u: this host speaks %u.x (up to %u.%u)",
			    who, remote_major, remote_minor, local->proto_major, local->proto_major,
			    local->proto_minor);
}

int cr_hello_send(struct cr_conn *c, const struct cr_peer_info *l, struct cr_error *err)
{
	Crwire__Hello h = CRWIRE__HELLO__INIT;
	h.proto_major = l->proto_major;
	h.proto_minor = l->proto_minor;
	h.corral_version = l->corral_version;
	h.criu_version = l->criu_version;
	h.kernel = l->kernel;
	h.arch = l->arch;
	h.cgroup_mode = l->cgroup_mode;
	h.hostname = l->hostname;
	h.cpu_features = l->cpu_features;
	h.n_cpu_features = l->n_cpu_features;
	h.fs_options = l->fs_options;
	h.n_fs_options = l->n_fs_options;
	h.criu_features = l->criu_features;
	h.n_criu_features = l->n_criu_features;
	Crwire__Envelope e = CRWIRE__ENVELOPE__INIT;
	e.body_case = CRWIRE__ENVELOPE__BODY_HELLO;
	e.hello = &h;
	return cr_conn_send(c, &e, err);
}

int cr_hello_recv(struct cr_conn *c, struct cr_peer_info *ret, struct cr_error *err)
{
	cleanup_envelope Crwire__Envelope *m = NULL;
	const char *who = c->peer_name ? c->peer_name : "peer";
	int r = cr_conn_recv(c, &m, err);
	if (r < 0)
		return r;
	if (m->body_case == CRWIRE__ENVELOPE__BODY_RESULT && m->result->code != 0)
		return cr_error_set(err, m->result->code > 0 && m->result->code < 4096
					     ? m->result->code : EPROTO,
				    "%s: %s", who,
				    m->result->message ? m->result->message : "refused");
	if (m->body_case != CRWIRE__ENVELOPE__BODY_HELLO)
		return cr_error_set(err, EPROTO, "%s sent %s where a hello was expected", who,
				    cr_wire_body_name(m));
	const Crwire__Hello *h = m->hello;
	struct cr_peer_info in = {
		.proto_major = h->proto_major,
		.proto_minor = h->proto_minor,
		.corral_version = h->corral_version,
		.criu_version = h->criu_version,
		.kernel = h->kernel,
		.arch = h->arch,
		.cgroup_mode = h->cgroup_mode,
		.hostname = h->hostname,
		.cpu_features = h->cpu_features,
		.n_cpu_features = h->n_cpu_features,
		.fs_options = h->fs_options,
		.n_fs_options = h->n_fs_options,
		.criu_features = h->criu_features,
		.n_criu_features = h->n_criu_features,
	};
	return cr_peer_info_copy(&in, ret, err);
}

static int strv_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

int cr_peer_info_has_fs(const struct cr_peer_info *info, const char *fs)
{
	return strv_has(info->fs_options, info->n_fs_options, fs);
}

int cr_peer_info_has_cpu(const struct cr_peer_info *info, const char *flag)
{
	return strv_has(info->cpu_features, info->n_cpu_features, flag);
}

int cr_peer_info_has_criu(const struct cr_peer_info *info, const char *feature)
{
	return strv_has(info->criu_features, info->n_criu_features, feature);
}
