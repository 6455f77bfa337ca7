/* secretstream wrappers: the only place that runs XChaCha20-Poly1305. */
#include "crypto/crypto_stream.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(CR_STREAM_KEYBYTES == crypto_secretstream_xchacha20poly1305_KEYBYTES, "key size");
_Static_assert(CR_STREAM_HEADERBYTES == crypto_secretstream_xchacha20poly1305_HEADERBYTES,
	       "header size");
_Static_assert(CR_STREAM_ABYTES == crypto_secretstream_xchacha20poly1305_ABYTES, "tag size");
_Static_assert(CR_STREAM_STATEBYTES == sizeof(crypto_secretstream_xchacha20poly1305_state), "state size");

struct cr_stream_push {
	crypto_secretstream_xchacha20poly1305_state st;
};

struct cr_stream_pull {
	crypto_secretstream_xchacha20poly1305_state st;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void do_init(void)
{
	init_result = sodium_init();
}

int cr_crypto_init(struct cr_error *err)
{
	pthread_once(&init_once, do_init);
	if (init_result < 0)
		return cr_error_set(err, EIO, "cannot initialise libsodium");
	return 0;
}

void cr_random_bytes(void *buf, size_t len)
{
	(void)cr_crypto_init(NULL);
	randombytes_buf(buf, len);
}

void cr_memzero(void *buf, size_t len)
{
	sodium_memzero(buf, len);
}

int cr_stream_push_new(const uint8_t key[CR_STREAM_KEYBYTES],
		       uint8_t ret_header[CR_STREAM_HEADERBYTES],
		       struct cr_stream_push **ret_stream, struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	struct cr_stream_push *s = calloc(1, sizeof(*s));
	if (!s)
		return cr_error_set(err, ENOMEM, "out of memory starting an encrypted stream");
	crypto_secretstream_xchacha20poly1305_init_push(&s->st, ret_header, key);
	*ret_stream = s;
	return 0;
}

int cr_stream_push(struct cr_stream_push *s, const void *msg, size_t len, const void *ad,
		   size_t ad_len, bool final, uint8_t *out, struct cr_error *err)
{
	unsigned char tag = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
				  : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
	if (crypto_secretstream_xchacha20poly1305_push(&s->st, out, NULL, msg, len, ad, ad_len,
						       tag) != 0)
		return cr_error_set(err, EMSGSIZE, "cannot encrypt a %zu-byte message", len);
	return 0;
}

void cr_stream_push_free(struct cr_stream_push *s)
{
	if (!s)
		return;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

int cr_stream_pull_new(const uint8_t key[CR_STREAM_KEYBYTES],
		       const uint8_t header[CR_STREAM_HEADERBYTES],
		       struct cr_stream_pull **ret_stream, struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	struct cr_stream_pull *s = calloc(1, sizeof(*s));
	if (!s)
		return cr_error_set(err, ENOMEM, "out of memory starting an encrypted stream");
	if (crypto_secretstream_xchacha20poly1305_init_pull(&s->st, header, key) != 0) {
		free(s);
		return cr_error_set(err, EBADMSG, "invalid encrypted stream header");
	}
	*ret_stream = s;
	return 0;
}

int cr_stream_pull(struct cr_stream_pull *s, const uint8_t *c, size_t c_len, const void *ad,
		   size_t ad_len, uint8_t *out, bool *ret_final, struct cr_error *err)
{
	unsigned char tag = 0;
	if (c_len < CR_STREAM_ABYTES)
		return cr_error_set(err, EBADMSG, "encrypted message of %zu bytes is too short",
				    c_len);
	if (crypto_secretstream_xchacha20poly1305_pull(&s->st, out, NULL, &tag, c, c_len, ad,
						       ad_len) != 0)
		return cr_error_set(err, EBADMSG,
				    "authentication failed (wrong key, or data altered or out of order)");
	if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE &&
	    tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL)
		return cr_error_set(err, EBADMSG, "unexpected encrypted stream tag %u", tag);
	*ret_final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	return 0;
}

void cr_stream_pull_free(struct cr_stream_pull *s)
{
	if (!s)
		return;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

int cr_stream_seal_one(const uint8_t key[CR_STREAM_KEYBYTES], const void *msg, size_t len,
		       const void *ad, size_t ad_len, bool final,
		       uint8_t ret_header[CR_STREAM_HEADERBYTES], uint8_t *out,
		       struct cr_error *err)
{
	struct cr_stream_push s;
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	crypto_secretstream_xchacha20poly1305_init_push(&s.st, ret_header, key);
	r = cr_stream_push(&s, msg, len, ad, ad_len, final, out, err);
	sodium_memzero(&s, sizeof(s));
	return r;
}

int cr_stream_open_one(const uint8_t key[CR_STREAM_KEYBYTES],
		       const uint8_t header[CR_STREAM_HEADERBYTES], const uint8_t *c, size_t c_len,
		       const void *ad, size_t ad_len, uint8_t *out, bool *ret_final,
		       struct cr_error *err)
{
	struct cr_stream_pull s;
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&s.st, header, key) != 0)
		return cr_error_set(err, EBADMSG, "invalid encrypted stream header");
	r = cr_stream_pull(&s, c, c_len, ad, ad_len, out, ret_final, err);
	sodium_memzero(&s, sizeof(s));
	return r;
}

void cr_stream_push_export(const struct cr_stream_push *s, uint8_t ret_state[CR_STREAM_STATEBYTES])
{
	memcpy(ret_state, &s->st, CR_STREAM_STATEBYTES);
}

void cr_stream_pull_export(const struct cr_stream_pull *s, uint8_t ret_state[CR_STREAM_STATEBYTES])
{
	memcpy(ret_state, &s->st, CR_STREAM_STATEBYTES);
}

int cr_stream_push_import(const uint8_t state[CR_STREAM_STATEBYTES], struct cr_stream_push **ret_stream,
			  struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	struct cr_stream_push *s = calloc(1, sizeof(*s));
	if (!s)
		return cr_error_set(err, ENOMEM, "out of memory taking over an encrypted stream");
	memcpy(&s->st, state, CR_STREAM_STATEBYTES);
	*ret_stream = s;
	return 0;
}

int cr_stream_pull_import(const uint8_t state[CR_STREAM_STATEBYTES], struct cr_stream_pull **ret_stream,
			  struct cr_error *err)
{
	int r = cr_crypto_init(err);
	if (r < 0)
		return r;
	struct cr_stream_pull *s = calloc(1, sizeof(*s));
	if (!s)
		return cr_error_set(err, ENOMEM, "out of memory taking over an encrypted stream");
	memcpy(&s->st, state, CR_STREAM_STATEBYTES);
	*ret_stream = s;
	return 0;
}
