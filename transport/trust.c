/* The trusted-peers file: parse, look up, change, write atomically. */
#include "transport/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/netaddr.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/paths.h"

int cr_trust_path(char **ret_path, struct cr_error *err)
{
	return cr_path(ret_path, err, "/etc/corral/trusted-peers");
}

int cr_peer_name_check(const char *name, struct cr_error *err)
{
	size_t n = strlen(name);
	if (n == 0 || n > CR_PEER_NAME_MAX)
		return cr_error_set(err, EINVAL, "peer name '%s' must have 1 to %d bytes", name,
				    CR_PEER_NAME_MAX);
	if (name[0] == '-' || name[0] == '.')
		return cr_error_set(err, EINVAL, "peer name '%s' must not start with '%c'", name,
				    name[0]);
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return cr_error_set(err, EINVAL,
					    "peer name '%s': only letters, digits, '.', '_' and '-'",
					    name);
	}
	return 0;
}

static int check_addr(const char *addr, struct cr_error *err)
{
	cleanup_free char *host = NULL;
	int port;
	return cr_addr_split(addr, 1, &host, &port, err);
}

void cr_trust_list_free(struct cr_trust_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->peers[i].name);
		free(l->peers[i].addr);
	}
	free(l->peers);
	l->peers = NULL;
	l->n = 0;
}

int cr_trust_add(struct cr_trust_list *l, const char *name, const char *addr,
		 const uint8_t pk[CR_HOSTKEY_BYTES], struct cr_error *err)
{
	int r = cr_peer_name_check(name, err);
	if (r < 0)
		return r;
	if ((r = check_addr(addr, err)) < 0)
		return r;
	if (cr_trust_find_name(l, name))
		return cr_error_set(err, EEXIST, "peer '%s' is already trusted", name);
	struct cr_trusted_peer *p = realloc(l->peers, (l->n + 1) * sizeof(*p));
	if (!p)
		return cr_error_set(err, ENOMEM, "out of memory");
	l->peers = p;
	struct cr_trusted_peer *e = &p[l->n];
	e->name = strdup(name);
	e->addr = strdup(addr);
	if (!e->name || !e->addr) {
		free(e->name);
		free(e->addr);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	memcpy(e->pk, pk, CR_HOSTKEY_BYTES);
	l->n++;
	return 0;
}

int cr_trust_remove(struct cr_trust_list *l, const char *name, struct cr_error *err)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->peers[i].name, name) != 0)
			continue;
		free(l->peers[i].name);
		free(l->peers[i].addr);
		memmove(&l->peers[i], &l->peers[i + 1], (l->n - i - 1) * sizeof(l->peers[0]));
		l->n--;
		return 0;
	}
	return cr_error_set(err, ENOENT, "no trusted peer named '%s'", name);
}

const struct cr_trusted_peer *cr_trust_find_name(const struct cr_trust_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->peers[i].name, name) == 0)
			return &l->peers[i];
	return NULL;
}

const struct cr_trusted_peer *cr_trust_find_addr(const struct cr_trust_list *l, const char *addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->peers[i].addr, addr) == 0)
			return &l->peers[i];
	return NULL;
}

const struct cr_trusted_peer *cr_trust_find_key(const struct cr_trust_list *l,
						const uint8_t pk[CR_HOSTKEY_BYTES])
{
	for (size_t i = 0; i < l->n; i++)
		if (memcmp(l->peers[i].pk, pk, CR_HOSTKEY_BYTES) == 0)
			return &l->peers[i];
	return NULL;
}

/* One "NAME ADDR PUBKEY" line (already NUL-terminated, comment-free). */
static int parse_line(char *line, const char *origin, unsigned lineno, struct cr_trust_list *l,
		      struct cr_error *err)
{
	char *save = NULL;
	char *name = strtok_r(line, " \t", &save);
	if (!name)
		return 0;
	char *addr = strtok_r(NULL, " \t", &save);
	char *key = strtok_r(NULL, " \t", &save);
	if (!addr || !key || strtok_r(NULL, " \t", &save))
		return cr_error_set(err, EINVAL, "%s:%u: expected NAME ADDR PUBKEY", origin, lineno);
	uint8_t pk[CR_HOSTKEY_BYTES];
	int r = cr_hostkey_parse(key, pk, err);
	if (r == 0)
		r = cr_trust_add(l, name, addr, pk, err);
	if (r < 0)
		return cr_error_wrap(err, "%s:%u", origin, lineno);
	return 0;
}

int cr_trust_parse(const char *text, size_t len, const char *origin, struct cr_trust_list *ret,
		   struct cr_error *err)
{
	struct cr_trust_list l = {NULL, 0};
	unsigned lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		lineno++;
		cleanup_free char *line = strndup(text + pos, end - pos);
		pos = end + 1;
		if (!line) {
			cr_trust_list_free(&l);
			return cr_error_set(err, ENOMEM, "out of memory");
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line[strcspn(line, "\r")] = '\0';
		int r = parse_line(line, origin, lineno, &l, err);
		if (r < 0) {
			cr_trust_list_free(&l);
			return r;
		}
	}
	*ret = l;
	return 0;
}

int cr_trust_load(const char *path, struct cr_trust_list *ret, struct cr_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (!cr_path_exists(path)) {
		ret->peers = NULL;
		ret->n = 0;
		return 0;
	}
	int r = cr_read_file(path, CR_TRUST_FILE_MAX, &text, &len, err);
	if (r < 0)
		return r;
	if (memchr(text, '\0', len))
		return cr_error_set(err, EINVAL, "%s: contains a NUL byte", path);
	return cr_trust_parse(text, len, path, ret, err);
}

int cr_trust_save(const char *path, const struct cr_trust_list *l, struct cr_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	cleanup_fclose FILE *f = open_memstream(&text, &len);
	if (!f)
		return cr_error_errno(err, "cannot build %s", path);
	fprintf(f, "# Corral trusted peers: NAME ADDR PUBKEY (managed by corral trust)\n");
	for (size_t i = 0; i < l->n; i++) {
		char b64[CR_HOSTKEY_TEXT_MAX];
		cr_hostkey_to_base64(l->peers[i].pk, b64);
		fprintf(f, "%s %s %s\n", l->peers[i].name, l->peers[i].addr, b64);
	}
	if (fflush(f) != 0)
		return cr_error_errno(err, "cannot build %s", path);
	int r = cr_mkdir_parent(path, 0755, err);
	if (r < 0)
		return r;
	return cr_write_file_atomic(path, text, len, 0644, err);
}
