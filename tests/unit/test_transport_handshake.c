/* The handshake: good keys give working encrypted streams both ways; a wrong
 * server key, an untrusted client key, an impostor without the private key
 * and altered handshake bytes are refused on both sides before any message;
 * after the handshake an altered, replayed or reordered frame is detected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <poll.h>

#include "test_transport_util.h"
#include "transport_wire.pb-c.h"

struct pair {
	struct cr_host_keypair client_kp, server_kp;
	struct t_hs_server srv;
	struct cr_conn client;
	int fds[2];
	int client_result;
	struct cr_error client_err;
};

/* Run a handshake: the server trusts TRUSTED (NULL: nobody); the client
 * expects EXPECTED (NULL: the server's real key). */
static void run_handshake(struct pair *p, const uint8_t *trusted, const uint8_t *expected)
{
	struct cr_error err = CR_ERROR_INIT;
	t_socketpair(p->fds);
	memset(&p->srv, 0, sizeof(p->srv));
	p->srv.kp = p->server_kp;
	if (trusted)
		assert_int_equal(cr_trust_add(&p->srv.trust, "client", "127.0.0.1", trusted, &err),
				 0);
	t_hs_server_start(&p->srv, p->fds[1]);
	cr_conn_init(&p->client, p->fds[0], T_TIMEOUT_MS);
	p->client_err = (struct cr_error)CR_ERROR_INIT;
	p->client_result = cr_handshake_client(&p->client, &p->client_kp,
					       expected ? expected : p->server_kp.pk, "server",
					       &p->client_err);
	if (p->client_result < 0)
		shutdown(p->fds[0], SHUT_RDWR); /* the server must not wait for more */
	t_hs_server_join(&p->srv);
}

static void pair_free(struct pair *p)
{
	t_hs_server_free(&p->srv);
	cr_conn_release(&p->client);
	cr_error_clear(&p->client_err);
	close(p->fds[0]);
	close(p->fds[1]);
}

static void pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	t_keypair(&p->client_kp);
	t_keypair(&p->server_kp);
}

static void send_ping(struct cr_conn *c, const char *text)
{
	struct cr_error err = CR_ERROR_INIT;
	Crwire__Ping ping = CRWIRE__PING__INIT;
	ping.has_payload = true;
	ping.payload.data = (uint8_t *)text;
	ping.payload.len = strlen(text);
	Crwire__Envelope m = CRWIRE__ENVELOPE__INIT;
	m.body_case = CRWIRE__ENVELOPE__BODY_PING;
	m.ping = &ping;
	if (cr_conn_send(c, &m, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
}

static void expect_ping(struct cr_conn *c, const char *text)
{
	struct cr_error err = CR_ERROR_INIT;
	Crwire__Envelope *m = NULL;
	if (cr_conn_recv(c, &m, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(m->body_case, CRWIRE__ENVELOPE__BODY_PING);
	assert_int_equal(m->ping->payload.len, strlen(text));
	assert_memory_equal(m->ping->payload.data, text, strlen(text));
	crwire__envelope__free_unpacked(m, NULL);
}

static void test_good_keys(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p);
	run_handshake(&p, p.client_kp.pk, NULL);
	if (p.client_result < 0)
		fail_msg("client: %s", cr_error_msg(&p.client_err));
	if (p.srv.result < 0)
		fail_msg("server: %s", cr_error_msg(&p.srv.err));
	assert_string_equal(p.srv.conn.peer_name, "client");
	assert_memory_equal(p.srv.conn.peer_pk, p.client_kp.pk, CR_HOSTKEY_BYTES);
	assert_memory_equal(p.client.peer_pk, p.server_kp.pk, CR_HOSTKEY_BYTES);
	send_ping(&p.client, "to the server");
	expect_ping(&p.srv.conn, "to the server");
	send_ping(&p.srv.conn, "to the client");
	expect_ping(&p.client, "to the client");
	pair_free(&p);
}

static void test_wrong_server_key(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p);
	struct cr_host_keypair other;
	t_keypair(&other);
	run_handshake(&p, p.client_kp.pk, other.pk);
	assert_int_equal(p.client_result, -EACCES);
	assert_non_null(strstr(cr_error_msg(&p.client_err), "trusted-peers lists"));
	assert_int_equal(p.srv.result, -EACCES);
	assert_non_null(strstr(cr_error_msg(&p.srv.err), "does not trust this server's key"));
	assert_null(p.client.tx);
	pair_free(&p);
}

static void test_untrusted_client(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p);
	run_handshake(&p, NULL, NULL);
	assert_int_equal(p.srv.result, -EACCES);
	assert_non_null(strstr(cr_error_msg(&p.srv.err), "not in this host's trusted-peers"));
	assert_int_equal(p.client_result, -EACCES);
	assert_non_null(strstr(cr_error_msg(&p.client_err), "server refused the connection"));
	assert_non_null(strstr(cr_error_msg(&p.client_err), "not in this host's trusted-peers"));
	assert_null(p.srv.conn.rx);
	pair_free(&p);
}

/* A client that shows a trusted public key without its private key. */
static void test_impostor_client(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p);
	struct cr_host_keypair real = p.client_kp, other;
	t_keypair(&other);
	memcpy(p.client_kp.sk, other.sk, CR_HOSTKEY_BYTES);
	run_handshake(&p, real.pk, NULL);
	assert_int_equal(p.srv.result, -EACCES);
	assert_non_null(strstr(cr_error_msg(&p.srv.err), "key confirmation from client failed"));
	assert_int_equal(p.client_result, -EACCES);
	assert_non_null(strstr(cr_error_msg(&p.client_err), "key confirmation failed"));
	pair_free(&p);
}

/* A server that shows the expected public key without its private key. */
static void test_impostor_server(void **state)
{
	(void)state;
	struct pair p;
	pair_init(&p);
	struct cr_host_keypair other;
	t_keypair(&other);
	uint8_t real_pk[CR_HOSTKEY_BYTES];
	memcpy(real_pk, p.server_kp.pk, sizeof(real_pk));
	memcpy(p.server_kp.sk, other.sk, CR_HOSTKEY_BYTES);
	run_handshake(&p, p.client_kp.pk, real_pk);
	assert_int_equal(p.client_result, -EACCES);
	assert_int_equal(p.srv.result, -EACCES);
	pair_free(&p);
}

/* A relay between client and server that flips one byte of what the client
 * sends at offset FLIP. */
struct relay {
	int a, b; /* a: client side, b: server side */
	size_t flip;
};

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	size_t seen = 0;
	uint8_t buf[4096];
	for (;;) {
		struct pollfd pfd[2] = {{.fd = r->a, .events = POLLIN}, {.fd = r->b, .events = POLLIN}};
		if (poll(pfd, 2, T_TIMEOUT_MS) <= 0)
			break;
		if (pfd[0].revents) {
			ssize_t n = read(r->a, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (r->flip >= seen && r->flip < seen + (size_t)n)
				buf[r->flip - seen] ^= 0x20;
			seen += (size_t)n;
			if (write(r->b, buf, (size_t)n) != n)
				break;
		}
		if (pfd[1].revents) {
			ssize_t n = read(r->b, buf, sizeof(buf));
			if (n <= 0 || write(r->a, buf, (size_t)n) != n)
				break;
		}
	}
	shutdown(r->a, SHUT_RDWR);
	shutdown(r->b, SHUT_RDWR);
	return NULL;
}

static void tampered_at(size_t offset)
{
	struct cr_host_keypair ckp, skp;
	t_keypair(&ckp);
	t_keypair(&skp);
	int c[2], s[2];
	t_socketpair(c);
	t_socketpair(s);
	struct relay rl = {.a = c[1], .b = s[0], .flip = offset};
	pthread_t rt;
	assert_int_equal(pthread_create(&rt, NULL, relay_main, &rl), 0);
	struct t_hs_server srv;
	memset(&srv, 0, sizeof(srv));
	srv.kp = skp;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_trust_add(&srv.trust, "client", "127.0.0.1", ckp.pk, &err), 0);
	t_hs_server_start(&srv, s[1]);
	struct cr_conn cl;
	cr_conn_init(&cl, c[0], T_TIMEOUT_MS);
	int r = cr_handshake_client(&cl, &ckp, skp.pk, "server", &err);
	assert_true(r < 0);
	shutdown(c[0], SHUT_RDWR);
	t_hs_server_join(&srv);
	assert_true(srv.result < 0);
	pthread_join(rt, NULL);
	cr_error_clear(&err);
	cr_conn_release(&cl);
	t_hs_server_free(&srv);
	for (int i = 0; i < 2; i++) {
		close(c[i]);
		close(s[i]);
	}
}

static void test_tampered_handshake(void **state)
{
	(void)state;
	/* Frame = length:4, preamble:8, static:32, ephemeral:32. */
	tampered_at(4 + 8 + 5);      /* the client's static key: not trusted */
	tampered_at(4 + 8 + 32 + 5); /* its ephemeral key: confirmation fails */
	tampered_at(4 + 72 + 4 + 8 + 30); /* its confirmation's stream header */
	tampered_at(4 + 72 + 4 + 8 + 24 + 10); /* its confirmation's ciphertext */
}

/* Frames sent by the client after a good handshake, captured in memory. */
static void capture(struct pair *p, struct cr_image_membuf *mb, int n)
{
	struct cr_image_io saved = p->client.io;
	p->client.io = cr_image_io_mem(mb);
	for (int i = 0; i < n; i++) {
		char text[16];
		snprintf(text, sizeof(text), "msg %d", i);
		send_ping(&p->client, text);
	}
	p->client.io = saved;
}

/* The I-th frame in MB (4-byte length + body). */
static const uint8_t *frame_at(const struct cr_image_membuf *mb, int i, size_t *ret_len)
{
	size_t off = 0;
	for (;;) {
		uint32_t len = (uint32_t)mb->data[off] | (uint32_t)mb->data[off + 1] << 8 |
			       (uint32_t)mb->data[off + 2] << 16 | (uint32_t)mb->data[off + 3] << 24;
		if (i-- == 0) {
			*ret_len = len;
			return mb->data + off + 4;
		}
		off += 4 + len;
	}
}

static int decode(struct pair *p, const uint8_t *f, size_t len)
{
	struct cr_error err = CR_ERROR_INIT;
	Crwire__Envelope *m = NULL;
	int r = cr_conn_decode(&p->srv.conn, f, len, &m, &err);
	if (m)
		crwire__envelope__free_unpacked(m, NULL);
	cr_error_clear(&err);
	return r;
}

enum attack { ALTER, REPLAY, REORDER, TRUNCATE };

static void attack(enum attack a)
{
	struct pair p;
	pair_init(&p);
	run_handshake(&p, p.client_kp.pk, NULL);
	assert_int_equal(p.client_result, 0);
	assert_int_equal(p.srv.result, 0);
	struct cr_image_membuf mb = {0};
	capture(&p, &mb, 3);
	size_t l0, l1;
	const uint8_t *f0 = frame_at(&mb, 0, &l0), *f1 = frame_at(&mb, 1, &l1);
	switch (a) {
	case ALTER: {
		uint8_t *copy = malloc(l0);
		memcpy(copy, f0, l0);
		copy[l0 / 2] ^= 1;
		assert_int_equal(decode(&p, copy, l0), -EBADMSG);
		free(copy);
		break;
	}
	case REPLAY:
		assert_int_equal(decode(&p, f0, l0), 0);
		assert_int_equal(decode(&p, f0, l0), -EBADMSG);
		break;
	case REORDER:
		assert_int_equal(decode(&p, f1, l1), -EBADMSG);
		break;
	case TRUNCATE:
		assert_int_equal(decode(&p, f0, l0 - 1), -EBADMSG);
		assert_int_equal(decode(&p, f0, 5), -EBADMSG);
		break;
	}
	cr_image_membuf_free(&mb);
	pair_free(&p);
}

static void test_altered_frame(void **state)
{
	(void)state;
	attack(ALTER);
}

static void test_replayed_frame(void **state)
{
	(void)state;
	attack(REPLAY);
}

static void test_reordered_frame(void **state)
{
	(void)state;
	attack(REORDER);
}

static void test_truncated_frame(void **state)
{
	(void)state;
	attack(TRUNCATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_keys),
		cmocka_unit_test(test_wrong_server_key),
		cmocka_unit_test(test_untrusted_client),
		cmocka_unit_test(test_impostor_client),
		cmocka_unit_test(test_impostor_server),
		cmocka_unit_test(test_tampered_handshake),
		cmocka_unit_test(test_altered_frame),
		cmocka_unit_test(test_replayed_frame),
		cmocka_unit_test(test_reordered_frame),
		cmocka_unit_test(test_truncated_frame),
	};
	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}
