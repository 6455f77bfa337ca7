/* Proving that two hosts see the same NFS file systems: the source of a
 * relocation writes a fresh random token into a mark file at the top of each
 * export of the partition; the destination reads the marks back through
 * libnfs and compares. Every call is bounded by the stanza's timeout. */
#define LOG_PREFIX "nfs: "
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "nfs/client.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/paths.h"

#define MARK_READ_MAX 128

/* One export of the partition, connected as root. */
struct mark_target {
	const struct cr_mount *m;
	struct cr_nfs_options opts;
	char *where; /* "HOST:EXPORT" */
	char *file;  /* "/.corral-mark.NAME" */
	struct nfs_context *nfs;
};

static void target_close(struct mark_target *t)
{
	cr_nfs_disconnect(t->nfs);
	free(t->where);
	free(t->file);
	memset(t, 0, sizeof(*t));
}

static int target_open(const struct cr_wpar_config *cfg, const struct cr_mount *m, struct mark_target *t,
		       struct cr_error *err)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	int r = cr_nfs_stanza_options(m, m->directory, &t->opts, err);
	if (r < 0)
		return r;
	cleanup_free char *mark = NULL;
	if (asprintf(&t->where, "%s:%s", m->host, m->dev) < 0 ||
	    asprintf(&mark, CR_NFS_MARK_PREFIX "%s", cfg->name) < 0) {
		target_close(t);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	if ((r = cr_path_join(&t->file, "", mark, NULL, err)) < 0) { /* one file in the export's root */
		target_close(t);
		return r;
	}
	if ((r = cr_nfs_connect(m->host, m->dev, &t->opts, 0, &t->nfs, err)) < 0)
		target_close(t);
	return r;
}

/* Call FN for every NFS stanza of CFG, connected; stops at the first failure
 * and wraps it with the stanza's directory. */
static int for_each_export(const struct cr_wpar_config *cfg, const char *doing,
			   int (*fn)(struct mark_target *t, const char *token, struct cr_error *err),
			   const char *token, struct cr_error *err)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct cr_mount *m = &cfg->mounts[i];
		if (!cr_nfs_is_nfs(m))
			continue;
		struct mark_target t;
		int r = target_open(cfg, m, &t, err);
		if (r == 0)
			r = fn(&t, token, err);
		target_close(&t);
		if (r < 0)
			return cr_error_wrap(err, "%s the NFS mark of %s on %s", doing, cfg->name, m->directory);
	}
	return 0;
}

/* Write the whole of DATA to PATH through a temporary name and a rename, so
 * a reader sees the old mark or the new one, never a part. */
static int write_file(struct mark_target *t, const char *data, struct cr_error *err)
{
	cleanup_free char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp", t->file) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct nfsfh *fh = NULL;
	size_t len = strlen(data);
	int r = nfs_create(t->nfs, tmp, O_WRONLY | O_TRUNC, 0600, &fh);
	if (r < 0)
		return cr_nfs_call_error(t->nfs, r, t->where, "create", tmp, err);
	r = nfs_write(t->nfs, fh, len, data);
	if (r >= 0 && (size_t)r != len)
		r = -EIO;
	if (r >= 0)
		r = nfs_fsync(t->nfs, fh);
	int cr = nfs_close(t->nfs, fh);
	if (r >= 0 && cr < 0)
		r = cr;
	if (r >= 0 && (r = nfs_rename(t->nfs, tmp, t->file)) < 0) {
		nfs_unlink(t->nfs, tmp);
		return cr_nfs_call_error(t->nfs, r, t->where, "rename the mark to", t->file, err);
	}
	if (r < 0) {
		nfs_unlink(t->nfs, tmp);
		return cr_nfs_call_error(t->nfs, r, t->where, "write", tmp, err);
	}
	return 0;
}

static int write_one(struct mark_target *t, const char *token, struct cr_error *err)
{
	cleanup_free char *line = NULL;
	if (asprintf(&line, "%s\n", token) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = write_file(t, line, err);
	if (r < 0)
		return r;
	cr_debug("%s: mark %s written", t->where, t->file);
	return 0;
}

static int read_one(struct mark_target *t, const char *token, struct cr_error *err)
{
	struct nfsfh *fh = NULL;
	int r = nfs_open(t->nfs, t->file, O_RDONLY, &fh);
	if (r == -ENOENT)
		return cr_error_set(err, ENOENT,
				    "%s: no %s there: this host does not see the file system the source wrote its mark on",
				    t->where, t->file);
	if (r < 0)
		return cr_nfs_call_error(t->nfs, r, t->where, "open", t->file, err);
	char buf[MARK_READ_MAX + 1];
	r = nfs_read(t->nfs, fh, MARK_READ_MAX, buf);
	nfs_close(t->nfs, fh);
	if (r < 0)
		return cr_nfs_call_error(t->nfs, r, t->where, "read", t->file, err);
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, token) != 0)
		return cr_error_set(err, EXDEV,
				    "%s: %s holds another token than the source wrote: not the same file system (or a newer relocation)",
				    t->where, t->file);
	cr_debug("%s: mark %s matches", t->where, t->file);
	return 0;
}

static int remove_one(struct mark_target *t, const char *token, struct cr_error *err)
{
	(void)token;
	int r = nfs_unlink(t->nfs, t->file);
	if (r < 0 && r != -ENOENT)
		return cr_nfs_call_error(t->nfs, r, t->where, "remove", t->file, err);
	return 0;
}

static bool token_valid(const char *token)
{
	return token && strlen(token) == CR_NFS_MARK_TOKEN_LEN &&
	       strspn(token, "0123456789abcdef") == CR_NFS_MARK_TOKEN_LEN;
}

int cr_nfs_mark_write(const struct cr_wpar_config *cfg, char **ret_token, struct cr_error *err)
{
	unsigned char rnd[CR_NFS_MARK_TOKEN_LEN / 2];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return cr_error_errno(err, "cannot draw a random NFS mark for %s", cfg->name);
	cleanup_free char *token = malloc(CR_NFS_MARK_TOKEN_LEN + 1);
	if (!token)
		return cr_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	int r = for_each_export(cfg, "writing", write_one, token, err);
	if (r < 0) {
		cr_nfs_mark_remove(cfg, NULL);
		return r;
	}
	*ret_token = steal_pointer(&token);
	return 0;
}

int cr_nfs_mark_verify(const struct cr_wpar_config *cfg, const char *token, struct cr_error *err)
{
	if (!token_valid(token))
		return cr_error_set(err, EINVAL, "the NFS mark token of %s is malformed (%d hexadecimal digits expected)",
				    cfg->name, CR_NFS_MARK_TOKEN_LEN);
	return for_each_export(cfg, "checking", read_one, token, err);
}

int cr_nfs_mark_remove(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	/* Go on past an unreachable export: remove what can be removed. */
	int first = 0;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		if (!cr_nfs_is_nfs(&cfg->mounts[i]))
			continue;
		struct cr_wpar_config one = *cfg;
		one.mounts = &cfg->mounts[i];
		one.n_mounts = 1;
		struct cr_error e = CR_ERROR_INIT;
		int r = for_each_export(&one, "removing", remove_one, NULL, &e);
		if (r < 0 && first == 0)
			first = cr_error_set(err, e.code, "%s", cr_error_msg(&e));
		cr_error_clear(&e);
	}
	return first;
}
