/* Fuzz everything corrald parses from the network. The first byte picks the
 * parser, the rest is what a peer sent:
 *   0: frames of plain messages (a local-socket conversation): every frame
 *      is decoded, the first as a Hello;
 *   1: the server side of the handshake (a ClientHello, a confirmation);
 *   2: the client side of the handshake (a ServerHello or a Refuse);
 *   3: the trusted-peers file.
 * Nothing may crash, leak or read out of bounds, and lengths above the caps
 * must be refused before anything is allocated. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/conn.h"
#include "transport_wire.pb-c.h"
#include "transport/handshake.h"
#include "transport/hello.h"
#include "transport/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed keys: the fuzzer cannot forge a confirmation, but it can reach every
 * check before it. */
static const struct cr_host_keypair fixed_kp = {
	.pk = {0x8f, 0x40, 0xc5, 0xad, 0xb6, 0x8f, 0x25, 0x62, 0x4a, 0xe5, 0xb2, 0x14, 0xea, 0x76,
	       0x7a, 0x6e, 0xc9, 0x4d, 0x82, 0x9d, 0x3d, 0x7b, 0x5e, 0x1a, 0xd1, 0xba, 0x6f, 0x3e,
	       0x21, 0x38, 0x28, 0x5f},
	.sk = {0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2,
	       0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5,
	       0x1d, 0xb9, 0x2c, 0x2a},
};

/* What the peer sent, read once; what we answer is thrown away. */
struct input {
	const uint8_t *data;
	size_t size;
};

static ssize_t input_read(void *ctx, void *buf, size_t len, struct cr_error *err)
{
	struct input *in = ctx;
	(void)err;
	size_t n = in->size < len ? in->size : len;
	memcpy(buf, in->data, n);
	in->data += n;
	in->size -= n;
	return (ssize_t)n;
}

static ssize_t discard_write(void *ctx, const void *buf, size_t len, struct cr_error *err)
{
	(void)ctx;
	(void)buf;
	(void)err;
	return (ssize_t)len;
}

static void plain_frames(struct cr_conn *c)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer_info info = {0};
	if (cr_hello_recv(c, &info, &err) == 0) {
		struct cr_peer_info local = {.proto_major = CR_PROTO_MAJOR};
		(void)cr_hello_check_version(&local, info.proto_major, info.proto_minor, "fuzz", &err);
		cr_peer_info_free(&info);
	}
	cr_error_clear(&err);
	for (int i = 0; i < 64; i++) {
		Crwire__Envelope *m = NULL;
		int r = cr_conn_recv(c, &m, &err);
		cr_error_clear(&err);
		if (r < 0 && r != -EPROTO)
			break;
		if (m) {
			(void)cr_wire_body_name(m);
			crwire__envelope__free_unpacked(m, NULL);
		}
	}
}

static void handshake(struct cr_conn *c, bool server)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_trust_list trust = {NULL, 0};
	(void)cr_trust_add(&trust, "fuzz", "127.0.0.1", fixed_kp.pk, &err);
	if (server)
		(void)cr_handshake_server(c, &fixed_kp, &trust, &err);
	else
		(void)cr_handshake_client(c, &fixed_kp, fixed_kp.pk, "fuzz", &err);
	cr_trust_list_free(&trust);
	cr_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0] % 4;
	data++;
	size--;
	if (mode == 3) {
		struct cr_error err = CR_ERROR_INIT;
		struct cr_trust_list l = {NULL, 0};
		if (cr_trust_parse((const char *)data, size, "fuzz", &l, &err) == 0)
			cr_trust_list_free(&l);
		cr_error_clear(&err);
		return 0;
	}
	struct cr_conn c;
	cr_conn_init(&c, -1, 1000);
	c.io.read = input_read;
	c.io.write = discard_write;
	struct input in = {data, size};
	c.io.ctx = &in;
	if (mode == 0)
		plain_frames(&c);
	else
		handshake(&c, mode == 1);
	cr_conn_release(&c);
	return 0;
}
