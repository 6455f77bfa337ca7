/* Frames on the wire: round trips, a clean end told from a cut one, the
 * 16 MiB cap enforced before allocating on read and before sending, the
 * handshake's 1 KiB cap, and the trusted-peers file and addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_transport_util.h"
#include "transport_wire.pb-c.h"
#include "transport/client.h"
#include "transport/netaddr.h"
#include "transport/trust.h"

static void put_len(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void test_roundtrip_and_end(void **state)
{
	(void)state;
	struct cr_image_membuf mb = {0};
	struct cr_image_io io = cr_image_io_mem(&mb);
	struct cr_error err = CR_ERROR_INIT;
	const size_t sizes[] = {0, 1, 1000, 70000};
	uint8_t *data = malloc(70000);
	for (size_t i = 0; i < 70000; i++)
		data[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(cr_wire_frame_write(&io, data, sizes[i], &err), 0);
	assert_int_equal(mb.len, 4 * 4 + 1 + 1000 + 70000);
	for (size_t i = 0; i < 4; i++) {
		uint8_t *buf = NULL;
		size_t len = 99;
		assert_int_equal(cr_wire_frame_read(&io, CR_WIRE_FRAME_MAX, &buf, &len, &err), 0);
		assert_int_equal(len, sizes[i]);
		assert_memory_equal(buf, data, len);
		free(buf);
	}
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(cr_wire_frame_read(&io, CR_WIRE_FRAME_MAX, &buf, &len, &err), -ENOTCONN);
	assert_non_null(strstr(cr_error_msg(&err), "closed the connection"));
	cr_error_clear(&err);
	free(data);
	cr_image_membuf_free(&mb);
}

static void test_cut_frames(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	uint8_t bytes[8];
	put_len(bytes, 100);
	memcpy(bytes + 4, "abcd", 4);
	for (size_t cut = 1; cut <= sizeof(bytes); cut++) {
		struct cr_image_membuf mb = {.data = bytes, .len = cut, .cap = cut};
		struct cr_image_io io = cr_image_io_mem(&mb);
		uint8_t *buf = NULL;
		size_t len = 0;
		int r = cr_wire_frame_read(&io, CR_WIRE_FRAME_MAX, &buf, &len, &err);
		assert_true(r < 0);
		assert_int_not_equal(r, -ENOTCONN); /* a cut frame is not a clean end */
		assert_null(buf);
		cr_error_clear(&err);
	}
}

static void test_length_caps(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	uint8_t hdr[4];
	/* A huge length is refused from the header alone (no body follows). */
	put_len(hdr, CR_WIRE_FRAME_MAX + 1);
	struct cr_image_membuf mb = {.data = hdr, .len = 4, .cap = 4};
	struct cr_image_io io = cr_image_io_mem(&mb);
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(cr_wire_frame_read(&io, CR_WIRE_FRAME_MAX, &buf, &len, &err), -EMSGSIZE);
	assert_non_null(strstr(cr_error_msg(&err), "exceeds"));
	put_len(hdr, 0xffffffffu);
	mb.pos = 0;
	assert_int_equal(cr_wire_frame_read(&io, CR_WIRE_FRAME_MAX, &buf, &len, &err), -EMSGSIZE);
	/* The handshake reads with its own small cap. */
	put_len(hdr, CR_HS_FRAME_MAX + 1);
	mb.pos = 0;
	assert_int_equal(cr_wire_frame_read(&io, CR_HS_FRAME_MAX, &buf, &len, &err), -EMSGSIZE);
	/* Writers refuse too: a frame, and a message that would not fit. */
	struct cr_image_membuf out = {0};
	struct cr_image_io oio = cr_image_io_mem(&out);
	assert_int_equal(cr_wire_frame_write(&oio, "", (size_t)CR_WIRE_FRAME_MAX + 1, &err),
			 -EMSGSIZE);
	assert_int_equal(out.len, 0);
	struct cr_conn c;
	cr_conn_init(&c, -1, T_TIMEOUT_MS);
	c.io = oio;
	uint8_t *big = calloc(1, CR_WIRE_FRAME_MAX);
	Crwire__Ping ping = CRWIRE__PING__INIT;
	ping.has_payload = true;
	ping.payload.data = big;
	ping.payload.len = CR_WIRE_FRAME_MAX;
	Crwire__Envelope m = CRWIRE__ENVELOPE__INIT;
	m.body_case = CRWIRE__ENVELOPE__BODY_PING;
	m.ping = &ping;
	assert_int_equal(cr_conn_send(&c, &m, &err), -EMSGSIZE);
	assert_non_null(strstr(cr_error_msg(&err), "ping"));
	assert_int_equal(out.len, 0);
	free(big);
	cr_error_clear(&err);
	cr_conn_release(&c);
	cr_image_membuf_free(&out);
}

static void test_malformed_message(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_conn c;
	cr_conn_init(&c, -1, T_TIMEOUT_MS);
	const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	Crwire__Envelope *m = NULL;
	assert_int_equal(cr_conn_decode(&c, junk, sizeof(junk), &m, &err), -EPROTO);
	assert_null(m);
	assert_non_null(strstr(cr_error_msg(&err), "malformed message"));
	cr_error_clear(&err);
	cr_conn_release(&c);
}

static void test_trust_file(void **state)
{
	(void)state;
	char *root = t_fresh_root();
	struct cr_error err = CR_ERROR_INIT;
	struct cr_host_keypair a, b;
	t_keypair(&a);
	t_keypair(&b);
	char *path = NULL;
	assert_int_equal(cr_trust_path(&path, &err), 0);
	struct cr_trust_list l = {NULL, 0};
	assert_int_equal(cr_trust_load(path, &l, &err), 0); /* missing: empty */
	assert_int_equal(l.n, 0);
	assert_int_equal(cr_trust_add(&l, "alpha", "10.214.1.1", a.pk, &err), 0);
	assert_int_equal(cr_trust_add(&l, "beta", "[fd00::2]:7000", b.pk, &err), 0);
	assert_int_equal(cr_trust_add(&l, "alpha", "10.0.0.9", b.pk, &err), -EEXIST);
	assert_int_equal(cr_trust_add(&l, "bad name", "10.0.0.9", b.pk, &err), -EINVAL);
	assert_int_equal(cr_trust_add(&l, "gamma", "host.example", b.pk, &err), -EINVAL);
	assert_int_equal(cr_trust_add(&l, "gamma", "10.0.0.1:70000", b.pk, &err), -EINVAL);
	assert_int_equal(cr_trust_save(path, &l, &err), 0);
	cr_trust_list_free(&l);
	assert_int_equal(cr_trust_load(path, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_non_null(cr_trust_find_name(&l, "beta"));
	assert_ptr_equal(cr_trust_find_key(&l, a.pk), cr_trust_find_name(&l, "alpha"));
	assert_ptr_equal(cr_trust_find_addr(&l, "10.214.1.1"), cr_trust_find_name(&l, "alpha"));
	assert_int_equal(cr_trust_remove(&l, "alpha", &err), 0);
	assert_int_equal(cr_trust_remove(&l, "alpha", &err), -ENOENT);
	assert_null(cr_trust_find_key(&l, a.pk));
	cr_trust_list_free(&l);
	const char *bad = "ok 10.0.0.1 AAAA\n";
	assert_true(cr_trust_parse(bad, strlen(bad), "tp", &l, &err) < 0);
	assert_non_null(strstr(cr_error_msg(&err), "tp:1"));
	const char *missing = "# comment\n\nname 10.0.0.1\n";
	assert_int_equal(cr_trust_parse(missing, strlen(missing), "tp", &l, &err), -EINVAL);
	assert_non_null(strstr(cr_error_msg(&err), "tp:3"));
	cr_error_clear(&err);
	free(path);
	t_rm_root(root);
}

static void test_addr_split(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *host = NULL;
	int port = 0;
	assert_int_equal(cr_addr_split("10.1.2.3", 7711, &host, &port, &err), 0);
	assert_string_equal(host, "10.1.2.3");
	assert_int_equal(port, 7711);
	free(host);
	assert_int_equal(cr_addr_split("10.1.2.3:99", 7711, &host, &port, &err), 0);
	assert_int_equal(port, 99);
	free(host);
	assert_int_equal(cr_addr_split("[::1]:5", 7711, &host, &port, &err), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 5);
	free(host);
	assert_int_equal(cr_addr_split("fd00::1", 7711, &host, &port, &err), 0);
	assert_int_equal(port, 7711);
	free(host);
	assert_int_equal(cr_addr_split("10.1.2.3:", 7711, &host, &port, &err), -EINVAL);
	assert_int_equal(cr_addr_split("[::1", 7711, &host, &port, &err), -EINVAL);
	cr_error_clear(&err);
}

/* cr_peer_connect's refusals before and at the connection. */
static void test_connect_errors(void **state)
{
	(void)state;
	char *root = t_fresh_root();
	struct cr_error err = CR_ERROR_INIT;
	struct cr_peer *p = NULL;
	assert_int_equal(cr_peer_connect("nobody", 1000, &p, &err), -ENOENT);
	assert_non_null(strstr(cr_error_msg(&err), "'nobody' is not in"));
	struct cr_host_keypair kp;
	t_keypair(&kp);
	char *path = NULL;
	struct cr_trust_list l = {NULL, 0};
	assert_int_equal(cr_trust_path(&path, &err), 0);
	assert_int_equal(cr_trust_add(&l, "b", "127.0.0.1:1", kp.pk, &err), 0);
	assert_int_equal(cr_trust_save(path, &l, &err), 0);
	/* No host key yet. */
	assert_true(cr_peer_connect("b", 1000, &p, &err) < 0);
	assert_non_null(strstr(cr_error_msg(&err), "corral keygen"));
	char *key = NULL, *pub = NULL;
	assert_int_equal(cr_hostkey_paths(&key, &pub, &err), 0);
	assert_int_equal(cr_hostkey_save(&kp, key, pub, false, &err), 0);
	/* Nobody listens on port 1: refused, naming the peer and its address;
	 * by address too. */
	assert_int_equal(cr_peer_connect("b", 1000, &p, &err), -ECONNREFUSED);
	assert_non_null(strstr(cr_error_msg(&err), "cannot connect to b (127.0.0.1:1)"));
	assert_int_equal(cr_peer_connect("127.0.0.1:1", 1000, &p, &err), -ECONNREFUSED);
	assert_null(p);
	cr_trust_list_free(&l);
	cr_error_clear(&err);
	free(key);
	free(pub);
	free(path);
	t_rm_root(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_end), cmocka_unit_test(test_cut_frames),
		cmocka_unit_test(test_length_caps),       cmocka_unit_test(test_malformed_message),
		cmocka_unit_test(test_trust_file),        cmocka_unit_test(test_addr_split),
		cmocka_unit_test(test_connect_errors),
	};
	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}
