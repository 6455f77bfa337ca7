/* Handshake frames: hellos with public keys, refusals, confirmations. */
#define LOG_PREFIX "handshake: "
#include "transport/handshake.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_kx_session.h"
#include "util/cleanup.h"
#include "util/log.h"

#define MAGIC "CRLP"
#define CONFIRM_LABEL_I "corral-confirm-i"
#define CONFIRM_LABEL_R "corral-confirm-r"
#define CONFIRM_LABEL_BYTES 16
#define CONFIRM_PLAIN (CONFIRM_LABEL_BYTES + CR_KX_TRANSCRIPT_BYTES)
#define CONFIRM_FRAME (CR_HS_PREAMBLE + CR_STREAM_HEADERBYTES + CONFIRM_PLAIN + CR_STREAM_ABYTES)
#define HELLO_FRAME (CR_HS_PREAMBLE + 2 * CR_HOSTKEY_BYTES)

_Static_assert(sizeof(CONFIRM_LABEL_I) - 1 == CONFIRM_LABEL_BYTES, "label");

static void preamble(uint8_t *p, enum cr_hs_type type)
{
	memcpy(p, MAGIC, 4);
	p[4] = CR_HS_VERSION;
	p[5] = (uint8_t)type;
	p[6] = 0;
	p[7] = 0;
}

void cr_handshake_refuse(struct cr_conn *c, const char *text)
{
	size_t n = strnlen(text, CR_HS_REFUSE_TEXT_MAX);
	uint8_t buf[CR_HS_PREAMBLE + CR_HS_REFUSE_TEXT_MAX];
	preamble(buf, CR_HS_REFUSE);
	memcpy(buf + CR_HS_PREAMBLE, text, n);
	struct cr_error ignored = CR_ERROR_INIT;
	(void)cr_wire_frame_write(&c->io, buf, CR_HS_PREAMBLE + n, &ignored);
	cr_error_clear(&ignored);
}

/* Read one handshake frame of type WANT and exactly WANT_LEN bytes. A Refuse
 * frame becomes -EACCES naming WHO refused and why. */
static int read_hs(struct cr_conn *c, enum cr_hs_type want, size_t want_len, const char *who,
		   uint8_t **ret, struct cr_error *err)
{
	cleanup_free uint8_t *buf = NULL;
	size_t len = 0;
	int r = cr_wire_frame_read(&c->io, CR_HS_FRAME_MAX, &buf, &len, err);
	if (r < 0)
		return cr_error_wrap(err, "handshake with %s", who);
	if (len < CR_HS_PREAMBLE || memcmp(buf, MAGIC, 4) != 0)
		return cr_error_set(err, EPROTO, "handshake with %s: not a corrald handshake frame",
				    who);
	if (buf[4] != CR_HS_VERSION)
		return cr_error_set(err, EPROTONOSUPPORT,
				    "handshake with %s: handshake version %u is not supported "
				    "(this host speaks version %d)",
				    who, buf[4], CR_HS_VERSION);
	if (buf[5] == CR_HS_REFUSE) {
		size_t n = len - CR_HS_PREAMBLE;
		char text[CR_HS_REFUSE_TEXT_MAX + 1];
		if (n > CR_HS_REFUSE_TEXT_MAX)
			n = CR_HS_REFUSE_TEXT_MAX;
		for (size_t i = 0; i < n; i++) {
			uint8_t ch = buf[CR_HS_PREAMBLE + i];
			text[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
		}
		text[n] = '\0';
		return cr_error_set(err, EACCES, "%s refused the connection: %s", who, text);
	}
	if (buf[5] != want || len != want_len)
		return cr_error_set(err, EPROTO,
				    "handshake with %s: expected frame type %d of %zu bytes, "
				    "got type %u of %zu bytes",
				    who, want, want_len, buf[5], len);
	*ret = steal_pointer(&buf);
	return 0;
}

static int send_hello(struct cr_conn *c, enum cr_hs_type type, const uint8_t *s_pk,
		      const uint8_t *e_pk, struct cr_error *err)
{
	uint8_t buf[HELLO_FRAME];
	preamble(buf, type);
	memcpy(buf + CR_HS_PREAMBLE, s_pk, CR_HOSTKEY_BYTES);
	memcpy(buf + CR_HS_PREAMBLE + CR_HOSTKEY_BYTES, e_pk, CR_HOSTKEY_BYTES);
	return cr_wire_frame_write(&c->io, buf, sizeof(buf), err);
}

/* Open our outgoing stream with the confirmation as its first message. */
static int send_confirm(struct cr_conn *c, const struct cr_kx_session *s, const char *label,
			struct cr_error *err)
{
	uint8_t buf[CONFIRM_FRAME], plain[CONFIRM_PLAIN];
	preamble(buf, CR_HS_CONFIRM);
	memcpy(plain, label, CONFIRM_LABEL_BYTES);
	memcpy(plain + CONFIRM_LABEL_BYTES, s->transcript, CR_KX_TRANSCRIPT_BYTES);
	int r = cr_stream_push_new(s->tx, buf + CR_HS_PREAMBLE, &c->tx, err);
	if (r == 0)
		r = cr_stream_push(c->tx, plain, sizeof(plain), s->transcript,
				   sizeof(s->transcript), false, buf + CR_HS_PREAMBLE +
				   CR_STREAM_HEADERBYTES, err);
	if (r == 0)
		r = cr_wire_frame_write(&c->io, buf, sizeof(buf), err);
	return r;
}

/* Read the peer's confirmation: it must decrypt with our rx key, carry the
 * peer's label and our transcript. */
static int recv_confirm(struct cr_conn *c, const struct cr_kx_session *s, const char *label,
			const char *who, struct cr_error *err)
{
	cleanup_free uint8_t *buf = NULL;
	int r = read_hs(c, CR_HS_CONFIRM, CONFIRM_FRAME, who, &buf, err);
	if (r < 0)
		return r;
	r = cr_stream_pull_new(s->rx, buf + CR_HS_PREAMBLE, &c->rx, err);
	if (r < 0)
		return r;
	uint8_t plain[CONFIRM_PLAIN];
	bool final = false;
	struct cr_error inner = CR_ERROR_INIT;
	r = cr_stream_pull(c->rx, buf + CR_HS_PREAMBLE + CR_STREAM_HEADERBYTES,
			   CONFIRM_PLAIN + CR_STREAM_ABYTES, s->transcript, sizeof(s->transcript),
			   plain, &final, &inner);
	cr_error_clear(&inner);
	if (r < 0 || final || memcmp(plain, label, CONFIRM_LABEL_BYTES) != 0 ||
	    memcmp(plain + CONFIRM_LABEL_BYTES, s->transcript, CR_KX_TRANSCRIPT_BYTES) != 0)
		return cr_error_set(err, EACCES,
				    "key confirmation from %s failed: it does not hold the "
				    "private key of the trusted key, or the handshake was altered",
				    who);
	return 0;
}

static void key_text(const uint8_t pk[CR_HOSTKEY_BYTES], char out[CR_HOSTKEY_TEXT_MAX])
{
	cr_hostkey_to_base64(pk, out);
}

int cr_handshake_client(struct cr_conn *c, const struct cr_host_keypair *kp,
			const uint8_t expected_pk[CR_HOSTKEY_BYTES], const char *peer_name,
			struct cr_error *err)
{
	struct cr_host_keypair eph;
	struct cr_kx_publics pub;
	struct cr_kx_session s;
	cleanup_free uint8_t *hello = NULL;
	int r = cr_kx_ephemeral(&eph, err);
	if (r < 0)
		return r;
	memcpy(pub.initiator_static, kp->pk, CR_HOSTKEY_BYTES);
	memcpy(pub.initiator_ephemeral, eph.pk, CR_HOSTKEY_BYTES);
	r = send_hello(c, CR_HS_CLIENT_HELLO, kp->pk, eph.pk, err);
	if (r < 0) {
		r = cr_error_wrap(err, "handshake with %s", peer_name);
		goto out;
	}
	r = read_hs(c, CR_HS_SERVER_HELLO, HELLO_FRAME, peer_name, &hello, err);
	if (r < 0)
		goto out;
	memcpy(pub.responder_static, hello + CR_HS_PREAMBLE, CR_HOSTKEY_BYTES);
	memcpy(pub.responder_ephemeral, hello + CR_HS_PREAMBLE + CR_HOSTKEY_BYTES,
	       CR_HOSTKEY_BYTES);
	if (!cr_kx_key_equal(pub.responder_static, expected_pk)) {
		char got[CR_HOSTKEY_TEXT_MAX], want[CR_HOSTKEY_TEXT_MAX];
		key_text(pub.responder_static, got);
		key_text(expected_pk, want);
		cr_handshake_refuse(c, "the client does not trust this server's key");
		r = cr_error_set(err, EACCES,
				 "%s answered with key %s, but trusted-peers lists %s for it: refused",
				 peer_name, got, want);
		goto out;
	}
	r = cr_kx_session_derive(true, kp, &eph, &pub, &s, err);
	if (r < 0)
		goto out;
	r = send_confirm(c, &s, CONFIRM_LABEL_I, err);
	if (r == 0)
		r = recv_confirm(c, &s, CONFIRM_LABEL_R, peer_name, err);
	cr_memzero(&s, sizeof(s));
	if (r == 0) {
		memcpy(c->peer_pk, pub.responder_static, CR_HOSTKEY_BYTES);
		free(c->peer_name);
		c->peer_name = strdup(peer_name);
		if (!c->peer_name)
			r = cr_error_set(err, ENOMEM, "out of memory");
	}
out:
	cr_memzero(&eph, sizeof(eph));
	return r;
}

int cr_handshake_server(struct cr_conn *c, const struct cr_host_keypair *kp,
			const struct cr_trust_list *trust, struct cr_error *err)
{
	struct cr_host_keypair eph;
	struct cr_kx_publics pub;
	struct cr_kx_session s;
	cleanup_free uint8_t *hello = NULL;
	int r = read_hs(c, CR_HS_CLIENT_HELLO, HELLO_FRAME, "client", &hello, err);
	if (r < 0) {
		if (r == -EPROTONOSUPPORT || r == -EPROTO)
			cr_handshake_refuse(c, cr_error_msg(err));
		return r;
	}
	memcpy(pub.initiator_static, hello + CR_HS_PREAMBLE, CR_HOSTKEY_BYTES);
	memcpy(pub.initiator_ephemeral, hello + CR_HS_PREAMBLE + CR_HOSTKEY_BYTES,
	       CR_HOSTKEY_BYTES);
	const struct cr_trusted_peer *tp = cr_trust_find_key(trust, pub.initiator_static);
	if (!tp) {
		char got[CR_HOSTKEY_TEXT_MAX];
		key_text(pub.initiator_static, got);
		r = cr_error_set(err, EACCES,
				 "key %s is not in this host's trusted-peers (add it with "
				 "corral trust NAME ADDR KEY)", got);
		cr_handshake_refuse(c, cr_error_msg(err));
		return cr_error_wrap(err, "client refused");
	}
	const char *who = tp->name;
	r = cr_kx_ephemeral(&eph, err);
	if (r < 0)
		return r;
	memcpy(pub.responder_static, kp->pk, CR_HOSTKEY_BYTES);
	memcpy(pub.responder_ephemeral, eph.pk, CR_HOSTKEY_BYTES);
	r = send_hello(c, CR_HS_SERVER_HELLO, kp->pk, eph.pk, err);
	if (r < 0) {
		r = cr_error_wrap(err, "handshake with %s", who);
		goto out;
	}
	r = cr_kx_session_derive(false, kp, &eph, &pub, &s, err);
	if (r < 0)
		goto out;
	r = recv_confirm(c, &s, CONFIRM_LABEL_I, who, err);
	if (r == -EACCES && strstr(cr_error_msg(err), "confirmation"))
		cr_handshake_refuse(c, "key confirmation failed: the client key was not "
				       "proven");
	if (r == 0)
		r = send_confirm(c, &s, CONFIRM_LABEL_R, err);
	cr_memzero(&s, sizeof(s));
	if (r == 0) {
		memcpy(c->peer_pk, pub.initiator_static, CR_HOSTKEY_BYTES);
		free(c->peer_name);
		c->peer_name = strdup(who);
		if (!c->peer_name)
			r = cr_error_set(err, ENOMEM, "out of memory");
	}
out:
	cr_memzero(&eph, sizeof(eph));
	return r;
}
