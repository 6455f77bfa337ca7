/* NFS mount options of a stanza's mountopts, and the libnfs URL they make. */
#define LOG_PREFIX "nfs: "
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfs/nfs.h"
#include "util/cleanup.h"

static int parse_number(const char *name, const char *text, long min, long max, int *ret,
			struct cr_error *err)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return cr_error_set(err, EINVAL, "NFS mount option %s=%s: not a number from %ld to %ld",
				    name, text, min, max);
	*ret = (int)v;
	return 0;
}

static const char *const ignored[] = {"bg", "fg", "hard", "soft", "intr", "nointr",
				      "proto=tcp", "sec=sys", "suid", "dev", "exec", NULL};

static bool is_ignored(const char *opt)
{
	for (const char *const *i = ignored; *i; i++)
		if (!strcmp(opt, *i))
			return true;
	return false;
}

static int parse_one(char *opt, struct cr_nfs_options *o, struct cr_error *err)
{
	char *value = strchr(opt, '=');
	if (value)
		*value++ = '\0';
	if (!value) {
		if (!strcmp(opt, "ro"))
			o->read_only = true;
		else if (!strcmp(opt, "rw"))
			o->read_only = false;
		else if (!strcmp(opt, "nosuid"))
			o->nosuid = true;
		else if (!strcmp(opt, "nodev"))
			o->nodev = true;
		else if (!strcmp(opt, "noexec"))
			o->noexec = true;
		else if (!is_ignored(opt))
			return cr_error_set(err, EINVAL, "unknown NFS mount option %s", opt);
		return 0;
	}
	if (!strcmp(opt, "port") || !strcmp(opt, "nfsport"))
		return parse_number(opt, value, 1, 65535, &o->nfs_port, err);
	if (!strcmp(opt, "mountport"))
		return parse_number(opt, value, 1, 65535, &o->mount_port, err);
	if (!strcmp(opt, "timeout"))
		return parse_number(opt, value, 1, 3600, &o->timeout_s, err);
	if (!strcmp(opt, "vers") || !strcmp(opt, "nfsvers") || !strcmp(opt, "version")) {
		if (strcmp(value, "3") && strcmp(value, "4"))
			return cr_error_set(err, EINVAL, "NFS mount option %s=%s: version 3 or 4 only", opt,
					    value);
		o->version = value[0] - '0';
		return 0;
	}
	value[-1] = '=';
	if (is_ignored(opt))
		return 0;
	return cr_error_set(err, EINVAL, "unknown NFS mount option %s", opt);
}

int cr_nfs_options_parse(const char *mountopts, struct cr_nfs_options *ret_opts,
			 struct cr_error *err)
{
	struct cr_nfs_options o = {.version = 3, .timeout_s = CR_NFS_DEFAULT_TIMEOUT_S};
	if (mountopts && *mountopts) {
		cleanup_free char *copy = strdup(mountopts);
		if (!copy)
			return cr_error_set(err, ENOMEM, "out of memory");
		char *save = NULL;
		for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
			int r = parse_one(opt, &o, err);
			if (r < 0)
				return r;
		}
	}
	*ret_opts = o;
	return 0;
}

/* Host names and export paths go into a URL: refuse what would change it. */
static int check_url_part(const char *what, const char *s, const char *bad, struct cr_error *err)
{
	if (!s || !*s)
		return cr_error_set(err, EINVAL, "NFS mount: no %s", what);
	if (strpbrk(s, bad))
		return cr_error_set(err, EINVAL, "NFS mount: %s %s holds a character not allowed there", what, s);
	return 0;
}

int cr_nfs_url(const char *host, const char *export_path, const struct cr_nfs_options *opts,
	       char **ret_url, struct cr_error *err)
{
	int r;
	if ((r = check_url_part("host", host, "/?&#, \t\n", err)) < 0 ||
	    (r = check_url_part("export path", export_path, "?&#,\t\n", err)) < 0)
		return r;
	if (export_path[0] != '/')
		return cr_error_set(err, EINVAL, "NFS export path %s is not absolute", export_path);
	char ports[64] = "";
	int n = 0;
	if (opts->nfs_port)
		n += snprintf(ports + n, sizeof(ports) - (size_t)n, "&nfsport=%d", opts->nfs_port);
	if (opts->mount_port)
		snprintf(ports + n, sizeof(ports) - (size_t)n, "&mountport=%d", opts->mount_port);
	if (asprintf(ret_url, "nfs://%s%s?version=%d%s", host, export_path, opts->version, ports) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int cr_nfs_stanza_options(const struct cr_mount *m, const char *mountpoint,
			  struct cr_nfs_options *ret_opts, struct cr_error *err)
{
	if (!m->host || !m->dev)
		return cr_error_set(err, EINVAL, "NFS mount on %s: host and dev (the export) are required", mountpoint);
	return cr_nfs_options_parse(m->mountopts, ret_opts, err);
}

bool cr_nfs_is_nfs(const struct cr_mount *m)
{
	return m && m->vfs && !strcmp(m->vfs, "nfs");
}
