/* The handshake's key schedule: crypto_kx over the ephemeral keys, three more
 * X25519 results (crypto_scalarmult) and the transcript, hashed with BLAKE2b
 * and split with crypto_kdf. */
#include "crypto/crypto_kx_session.h"

#include <sodium.h>
#include <string.h>

#define KDF_CONTEXT "crlink01"
#define KX_LABEL "corral transport handshake v1"

enum { SUBKEY_I2R = 1, SUBKEY_R2I = 2 };

_Static_assert(sizeof(KDF_CONTEXT) - 1 == crypto_kdf_CONTEXTBYTES, "kdf context");
_Static_assert(crypto_kdf_KEYBYTES == 32, "kdf key");

int cr_kx_ephemeral(struct cr_host_keypair *ret_kp, struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	if (crypto_kx_keypair(ret_kp->pk, ret_kp->sk) != 0)
		return cr_error_set(err, EIO, "cannot generate an ephemeral X25519 key pair");
	return 0;
}

bool cr_kx_key_equal(const uint8_t a[CR_HOSTKEY_BYTES], const uint8_t b[CR_HOSTKEY_BYTES])
{
	return sodium_memcmp(a, b, CR_HOSTKEY_BYTES) == 0;
}

static void transcript_hash(const struct cr_kx_publics *p, uint8_t out[CR_KX_TRANSCRIPT_BYTES])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, CR_KX_TRANSCRIPT_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)KX_LABEL, sizeof(KX_LABEL) - 1);
	crypto_generichash_update(&st, p->initiator_static, CR_HOSTKEY_BYTES);
	crypto_generichash_update(&st, p->initiator_ephemeral, CR_HOSTKEY_BYTES);
	crypto_generichash_update(&st, p->responder_static, CR_HOSTKEY_BYTES);
	crypto_generichash_update(&st, p->responder_ephemeral, CR_HOSTKEY_BYTES);
	crypto_generichash_final(&st, out, CR_KX_TRANSCRIPT_BYTES);
}

/* The four shared secrets, in the same order on both sides. */
struct dh_results {
	uint8_t ee_i2r[crypto_kx_SESSIONKEYBYTES]; /* crypto_kx: initiator's tx */
	uint8_t ee_r2i[crypto_kx_SESSIONKEYBYTES];
	uint8_t es[crypto_scalarmult_BYTES]; /* initiator ephemeral x responder static */
	uint8_t se[crypto_scalarmult_BYTES]; /* initiator static x responder ephemeral */
	uint8_t ss[crypto_scalarmult_BYTES]; /* static x static */
};

static int compute_dh(bool initiator, const struct cr_host_keypair *s,
		      const struct cr_host_keypair *e, const struct cr_kx_publics *p,
		      struct dh_results *d)
{
	if (initiator) {
		if (crypto_kx_client_session_keys(d->ee_r2i, d->ee_i2r, e->pk, e->sk,
						  p->responder_ephemeral) != 0)
			return -1;
		if (crypto_scalarmult(d->es, e->sk, p->responder_static) != 0 ||
		    crypto_scalarmult(d->se, s->sk, p->responder_ephemeral) != 0 ||
		    crypto_scalarmult(d->ss, s->sk, p->responder_static) != 0)
			return -1;
		return 0;
	}
	if (crypto_kx_server_session_keys(d->ee_i2r, d->ee_r2i, e->pk, e->sk,
					  p->initiator_ephemeral) != 0)
		return -1;
	if (crypto_scalarmult(d->es, s->sk, p->initiator_ephemeral) != 0 ||
	    crypto_scalarmult(d->se, e->sk, p->initiator_static) != 0 ||
	    crypto_scalarmult(d->ss, s->sk, p->initiator_static) != 0)
		return -1;
	return 0;
}

int cr_kx_session_derive(bool initiator, const struct cr_host_keypair *static_kp,
			 const struct cr_host_keypair *ephemeral_kp, const struct cr_kx_publics *p,
			 struct cr_kx_session *ret_session, struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	struct dh_results d;
	struct cr_kx_session s;
	transcript_hash(p, s.transcript);
	if (compute_dh(initiator, static_kp, ephemeral_kp, p, &d) != 0) {
		sodium_memzero(&d, sizeof(d));
		return cr_error_set(err, EPROTO, "handshake: the peer sent an unusable public key");
	}
	uint8_t master[crypto_kdf_KEYBYTES];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof(master));
	crypto_generichash_update(&st, (const uint8_t *)&d, sizeof(d));
	crypto_generichash_update(&st, s.transcript, sizeof(s.transcript));
	crypto_generichash_final(&st, master, sizeof(master));
	sodium_memzero(&d, sizeof(d));
	uint8_t i2r[CR_STREAM_KEYBYTES], r2i[CR_STREAM_KEYBYTES];
	crypto_kdf_derive_from_key(i2r, sizeof(i2r), SUBKEY_I2R, KDF_CONTEXT, master);
	crypto_kdf_derive_from_key(r2i, sizeof(r2i), SUBKEY_R2I, KDF_CONTEXT, master);
	sodium_memzero(master, sizeof(master));
	memcpy(s.tx, initiator ? i2r : r2i, sizeof(s.tx));
	memcpy(s.rx, initiator ? r2i : i2r, sizeof(s.rx));
	sodium_memzero(i2r, sizeof(i2r));
	sodium_memzero(r2i, sizeof(r2i));
	*ret_session = s;
	sodium_memzero(&s, sizeof(s));
	return 0;
}
