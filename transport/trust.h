/* The hosts this host talks to: $ROOT/etc/corral/trusted-peers, one peer a
 * line "NAME ADDR PUBKEY" (PUBKEY in base64 as host.pub holds it; lines
 * starting with # are comments). corrald accepts a connection only from a
 * key listed here, and a client accepts a server only with the key listed
 * for the name or address it asked for. */
#ifndef CORRAL_TRANSPORT_TRUST_H
#define CORRAL_TRANSPORT_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto_hostkey.h"
#include "util/error.h"

#define CR_PEER_NAME_MAX 64
#define CR_TRUST_FILE_MAX (1024 * 1024)

struct cr_trusted_peer {
	char *name; /* [A-Za-z0-9._-], 1..64 bytes */
	char *addr; /* IP literal with optional port: 10.0.0.2, 10.0.0.2:7711, [fd00::2]:7711 */
	uint8_t pk[CR_HOSTKEY_BYTES];
};

struct cr_trust_list {
	struct cr_trusted_peer *peers;
	size_t n;
};

/* <root>/etc/corral/trusted-peers (heap). */
int cr_trust_path(char **ret_path, struct cr_error *err);

/* Read PATH; a missing file is an empty list. Errors name the line. */
int cr_trust_load(const char *path, struct cr_trust_list *ret, struct cr_error *err);

/* Parse the file's text (LEN bytes; ORIGIN names it in errors). */
int cr_trust_parse(const char *text, size_t len, const char *origin, struct cr_trust_list *ret,
		   struct cr_error *err);

/* Write L to PATH atomically (mode 0644, the directory made if needed). */
int cr_trust_save(const char *path, const struct cr_trust_list *l, struct cr_error *err);

/* Add a peer (-EEXIST when NAME is already there; NAME and ADDR checked). */
int cr_trust_add(struct cr_trust_list *l, const char *name, const char *addr,
		 const uint8_t pk[CR_HOSTKEY_BYTES], struct cr_error *err);

/* Remove the peer NAME (-ENOENT when there is none). */
int cr_trust_remove(struct cr_trust_list *l, const char *name, struct cr_error *err);

/* Lookups; NULL when not found. */
const struct cr_trusted_peer *cr_trust_find_name(const struct cr_trust_list *l, const char *name);
const struct cr_trusted_peer *cr_trust_find_addr(const struct cr_trust_list *l, const char *addr);
const struct cr_trusted_peer *cr_trust_find_key(const struct cr_trust_list *l,
						const uint8_t pk[CR_HOSTKEY_BYTES]);

void cr_trust_list_free(struct cr_trust_list *l);
#define cleanup_trust_list __attribute__((cleanup(cr_trust_list_free)))

/* Check a peer name: 1..64 of [A-Za-z0-9._-], not starting with '-' or '.'. */
int cr_peer_name_check(const char *name, struct cr_error *err);

#endif
