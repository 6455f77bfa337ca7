/* Host facts for the manifest: uname and the flags line of /proc/cpuinfo. */
#include "formats/image_hostinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "util/cleanup.h"

/* Split a space-separated LIST into *RET_V, *RET_N (appended to). */
static int split_words(const char *list, char ***ret_v, size_t *ret_n, const char *what, struct cr_error *err)
{
	size_t n = *ret_n;
	for (const char *c = list; *c;) {
		c += strspn(c, " \t\n");
		size_t len = strcspn(c, " \t\n");
		if (len == 0)
			break;
		char **v = realloc(*ret_v, (n + 1) * sizeof(*v));
		if (!v)
			return cr_error_set(err, ENOMEM, "out of memory listing %s", what);
		*ret_v = v;
		v[n] = strndup(c, len);
		if (!v[n])
			return cr_error_set(err, ENOMEM, "out of memory listing %s", what);
		*ret_n = ++n;
		c += len;
	}
	return 0;
}

int cr_image_set_cpu_features(struct cr_image_manifest *m, const char *list,
			      struct cr_error *err)
{
	return split_words(list, &m->cpu_features, &m->n_cpu_features, "CPU features", err);
}

int cr_image_set_criu_needs(struct cr_image_manifest *m, const char *list, struct cr_error *err)
{
	return split_words(list, &m->criu_needs, &m->n_criu_needs, "CRIU features", err);
}

static int probe_cpu_features(struct cr_image_manifest *m, struct cr_error *err)
{
	cleanup_fclose FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return 0; /* not fatal: the manifest just lacks the list */
	cleanup_free char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		/* x86 says "flags", arm64 says "Features". */
		if (strncmp(line, "flags", 5) != 0 && strncmp(line, "Features", 8) != 0)
			continue;
		char *colon = strchr(line, ':');
		if (colon)
			return cr_image_set_cpu_features(m, colon + 1, err);
	}
	return 0;
}

int cr_image_probe_host(struct cr_image_manifest *m, struct cr_error *err)
{
	struct utsname u;
	if (uname(&u) < 0)
		return cr_error_errno(err, "cannot read the kernel name (uname)");
	if (!m->hostname && !(m->hostname = strdup(u.nodename)))
		return cr_error_set(err, ENOMEM, "out of memory");
	if (!m->kernel && asprintf(&m->kernel, "%s %s %s", u.sysname, u.release, u.version) < 0) {
		m->kernel = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	if (!m->arch && !(m->arch = strdup(u.machine)))
		return cr_error_set(err, ENOMEM, "out of memory");
	if (!m->cpu_features)
		return probe_cpu_features(m, err);
	return 0;
}
