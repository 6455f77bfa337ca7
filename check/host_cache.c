#define LOG_PREFIX "check: "
#include "check/host_cache.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "criu/criu.h"
#include "check/proc_text.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define CACHE_MAX (256 * 1024)

int cr_host_key_current(struct cr_host_key *ret, struct cr_error *err)
{
	struct cr_host_key k = {NULL, NULL, NULL, 0, 0, (int64_t)geteuid()};
	struct utsname u;
	if (uname(&u) < 0)
		return cr_error_errno(err, "uname");
	cleanup_free char *boot = NULL;
	struct cr_error rerr = CR_ERROR_INIT;
	if (cr_read_file("/proc/sys/kernel/random/boot_id", 4096, &boot, NULL, &rerr) < 0)
		cr_error_clear(&rerr); /* no boot id: the kernel and criu still key the cache */
	if (cr_criu_locate(&k.criu_path, &rerr) < 0)
		cr_error_clear(&rerr);
	struct stat st;
	if (k.criu_path && stat(k.criu_path, &st) == 0) {
		k.criu_mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		k.criu_size = (int64_t)st.st_size;
	}
	if (!k.criu_path)
		k.criu_path = strdup("");
	k.boot_id = cr_first_line(boot ? boot : "");
	if (asprintf(&k.kernel, "%s %s", u.release, u.version) < 0)
		k.kernel = NULL;
	if (!k.kernel || !k.boot_id || !k.criu_path) {
		cr_host_key_free(&k);
		return cr_error_set(err, ENOMEM, "out of memory building the host key");
	}
	*ret = k;
	return 0;
}

void cr_host_key_free(struct cr_host_key *k)
{
	if (!k)
		return;
	free(k->kernel);
	free(k->boot_id);
	free(k->criu_path);
	k->kernel = k->boot_id = k->criu_path = NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

bool cr_host_key_equal(const struct cr_host_key *a, const struct cr_host_key *b)
{
	return str_eq(a->kernel, b->kernel) && str_eq(a->boot_id, b->boot_id) &&
	       str_eq(a->criu_path, b->criu_path) && a->criu_mtime == b->criu_mtime &&
	       a->criu_size == b->criu_size && a->uid == b->uid;
}

static bool one_line(const char *s)
{
	return !s || !strchr(s, '\n');
}

int cr_host_cache_format(const struct cr_host_key *k, const struct cr_host_facts *f,
			 char **ret_text, struct cr_error *err)
{
	const char *strs[] = {k->kernel, k->boot_id, k->criu_path, f->criu_path, f->criu_version,
			      f->cgroup_mode, f->cgroup_v1, f->cgroup_v2};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!one_line(strs[i]))
			return cr_error_set(err, EINVAL, "a host fact holds a line break: not cached");
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		if (!one_line(f->probes[i].detail))
			return cr_error_set(err, EINVAL, "probe %s: detail holds a line break",
					    cr_probe_name(i));
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return cr_error_errno(err, "cannot format the host facts");
#define S(v) ((v) ? (v) : "")
	fprintf(out, "%s\nkey.kernel=%s\nkey.boot_id=%s\nkey.criu=%s\n", CR_HOST_CACHE_MAGIC,
		S(k->kernel), S(k->boot_id), S(k->criu_path));
	fprintf(out, "key.criu_mtime=%lld\nkey.criu_size=%lld\nkey.uid=%lld\n",
		(long long)k->criu_mtime, (long long)k->criu_size, (long long)k->uid);
	fprintf(out, "probed_at=%lld\ncriu_path=%s\ncriu_version=%s\ncriu_needs_fault=%d\n",
		(long long)f->probed_at, S(f->criu_path), S(f->criu_version),
		f->criu_needs_fault ? 1 : 0);
	fprintf(out, "cgroup_mode=%s\ncgroup_v1=%s\ncgroup_v2=%s\n", S(f->cgroup_mode),
		S(f->cgroup_v1), S(f->cgroup_v2));
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		fprintf(out, "probe.%s=%s %s\n", cr_probe_name(i),
			cr_probe_status_name(f->probes[i].status), S(f->probes[i].detail));
#undef S
	if (fclose(out) != 0 || !text) {
		free(text);
		return cr_error_set(err, ENOMEM, "out of memory formatting the host facts");
	}
	*ret_text = text;
	return 0;
}

static int parse_int64(const char *s, int64_t *ret)
{
	if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = (int64_t)v;
	return 0;
}

/* Replace *DST with VALUE (NULL for "" when EMPTY_IS_NULL). */
static int set_str(char **dst, const char *value, bool empty_is_null)
{
	char *v = NULL;
	if (*value || !empty_is_null) {
		v = strdup(value);
		if (!v)
			return -ENOMEM;
	}
	free(*dst);
	*dst = v;
	return 0;
}

static int parse_probe(struct cr_host_facts *f, const char *name, const char *value,
		       bool *seen)
{
	int id = cr_probe_from_name(name);
	if (id < 0)
		return -EINVAL;
	const char *sp = strchr(value, ' ');
	size_t n = sp ? (size_t)(sp - value) : strlen(value);
	enum cr_probe_status st;
	if (n == 2 && !strncmp(value, "ok", n))
		st = CR_PROBE_OK;
	else if (n == 7 && !strncmp(value, "missing", n))
		st = CR_PROBE_MISSING;
	else if (n == 7 && !strncmp(value, "skipped", n))
		st = CR_PROBE_SKIPPED;
	else
		return -EINVAL;
	const char *detail = sp ? sp + 1 : "";
	if (cr_probe_set(&f->probes[id], st, *detail ? "%s" : NULL, detail) < 0)
		return -ENOMEM;
	seen[id] = true;
	return 0;
}

enum { K_KERNEL = 1, K_BOOT = 2, K_CRIU = 4, K_MTIME = 8, K_SIZE = 16, K_UID = 32, K_ALL = 63 };

static int parse_line(char *line, struct cr_host_key *k, struct cr_host_facts *f, bool *seen,
		      unsigned *keys)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return -EINVAL;
	*eq = '\0';
	const char *name = line, *v = eq + 1;
	int64_t num = 0;
	if (!strncmp(name, "probe.", 6))
		return parse_probe(f, name + 6, v, seen);
#define STR(field, dst, null_empty, bit)                                                    \
	if (!strcmp(name, field)) {                                                         \
		*keys |= (bit);                                                             \
		return set_str(dst, v, null_empty);                                         \
	}
#define NUM(field, dst, bit)                                                                \
	if (!strcmp(name, field)) {                                                         \
		*keys |= (bit);                                                             \
		if (parse_int64(v, &num) < 0)                                               \
			return -EINVAL;                                                     \
		dst = num;                                                                  \
		return 0;                                                                   \
	}
	STR("key.kernel", &k->kernel, false, K_KERNEL)
	STR("key.boot_id", &k->boot_id, false, K_BOOT)
	STR("key.criu", &k->criu_path, false, K_CRIU)
	NUM("key.criu_mtime", k->criu_mtime, K_MTIME)
	NUM("key.criu_size", k->criu_size, K_SIZE)
	NUM("key.uid", k->uid, K_UID)
	NUM("probed_at", f->probed_at, 0)
	STR("criu_path", &f->criu_path, true, 0)
	STR("criu_version", &f->criu_version, true, 0)
	STR("cgroup_mode", &f->cgroup_mode, true, 0)
	STR("cgroup_v1", &f->cgroup_v1, true, 0)
	STR("cgroup_v2", &f->cgroup_v2, true, 0)
#undef STR
#undef NUM
	if (!strcmp(name, "criu_needs_fault")) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return -EINVAL;
		f->criu_needs_fault = v[0] == '1';
		return 0;
	}
	return -EINVAL;
}

int cr_host_cache_parse(const char *text, struct cr_host_key *ret_key,
			struct cr_host_facts *ret_facts, struct cr_error *err)
{
	cleanup_free char *copy = strdup(text);
	if (!copy)
		return cr_error_set(err, ENOMEM, "out of memory parsing the host facts cache");
	struct cr_host_key k = {NULL, NULL, NULL, 0, 0, 0};
	struct cr_host_facts f;
	memset(&f, 0, sizeof(f));
	bool seen[CR_PROBE_COUNT] = {false};
	unsigned keys = 0;
	int r = 0, lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line && r == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		if (++lineno == 1)
			r = strcmp(line, CR_HOST_CACHE_MAGIC) ? -EINVAL : 0;
		else
			r = parse_line(line, &k, &f, seen, &keys);
	}
	if (r == 0 && (lineno == 0 || keys != K_ALL))
		r = -EINVAL;
	for (int i = 0; i < CR_PROBE_COUNT && r == 0; i++)
		if (!seen[i])
			r = -EINVAL;
	if (r < 0) {
		cr_host_key_free(&k);
		cr_host_facts_free(&f);
		if (r == -ENOMEM)
			return cr_error_set(err, ENOMEM, "out of memory parsing the host facts cache");
		return cr_error_set(err, EINVAL, "host facts cache: bad or incomplete line %d", lineno);
	}
	*ret_key = k;
	*ret_facts = f;
	return 0;
}

static int cache_path(char **ret, struct cr_error *err)
{
	return cr_path(ret, err, "%s/host-facts", CR_CACHE_DIR);
}

int cr_host_cache_load(const struct cr_host_key *want, struct cr_host_facts *ret_facts,
		       struct cr_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	int r = cache_path(&path, err);
	if (r < 0)
		return r;
	struct cr_error lerr = CR_ERROR_INIT;
	struct cr_host_key k;
	struct cr_host_facts f;
	if (cr_read_file(path, CACHE_MAX, &text, NULL, &lerr) < 0 ||
	    cr_host_cache_parse(text, &k, &f, &lerr) < 0) {
		cr_debug("no usable cache: %s", cr_error_msg(&lerr));
		cr_error_clear(&lerr);
		return 0;
	}
	bool same = cr_host_key_equal(&k, want);
	cr_host_key_free(&k);
	if (!same) {
		cr_debug("cache %s is stale: the kernel, boot, criu binary or uid changed", path);
		cr_host_facts_free(&f);
		return 0;
	}
	f.cached = true;
	*ret_facts = f;
	return 1;
}

int cr_host_cache_save(const struct cr_host_key *k, const struct cr_host_facts *f,
		       struct cr_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *dir = NULL;
	cleanup_free char *text = NULL;
	int r = cache_path(&path, err);
	if (r == 0)
		r = cr_path(&dir, err, "%s", CR_CACHE_DIR);
	if (r == 0)
		r = cr_host_cache_format(k, f, &text, err);
	if (r == 0)
		r = cr_mkdir_p(dir, 0755, err);
	if (r == 0)
		r = cr_write_file_atomic(path, text, strlen(text), 0644, err);
	return r < 0 ? cr_error_wrap(err, "saving the host facts cache") : 0;
}
