/* crypto/ API used by images and, later, the transport: secretstream
 * push/pull, key files, host key pairs and their text forms, sealed keys;
 * and the writer's refusal of files that change while being packed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_image_util.h"

#include "crypto/crypto_hostkey.h"
#include "crypto/crypto_keyfile.h"
#include "crypto/crypto_seal.h"
#include "crypto/crypto_stream.h"

static char *tmp;

static void stream_round_trip_and_tampering(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	uint8_t key[CR_STREAM_KEYBYTES], other[CR_STREAM_KEYBYTES], hdr[CR_STREAM_HEADERBYTES];
	cr_random_bytes(key, sizeof(key));
	cr_random_bytes(other, sizeof(other));
	struct cr_stream_push *push = NULL;
	assert_int_equal(cr_stream_push_new(key, hdr, &push, &err), 0);
	uint8_t c[3][5 + CR_STREAM_ABYTES];
	const char *msgs[] = {"one..", "two..", "three"};
	for (int i = 0; i < 3; i++)
		assert_int_equal(cr_stream_push(push, msgs[i], 5, "ad", 2, i == 2, c[i], &err), 0);
	cr_stream_push_free(push);

	struct cr_stream_pull *pull = NULL;
	uint8_t m[5];
	bool final = true;
	assert_int_equal(cr_stream_pull_new(key, hdr, &pull, &err), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(cr_stream_pull(pull, c[i], sizeof(c[i]), "ad", 2, m, &final, &err),
				 0);
		assert_memory_equal(m, msgs[i], 5);
		assert_int_equal(final, i == 2);
	}
	cr_stream_pull_free(pull);

	/* Out of order, altered, wrong additional data, wrong key: all refused. */
	assert_int_equal(cr_stream_pull_new(key, hdr, &pull, &err), 0);
	assert_int_equal(cr_stream_pull(pull, c[1], sizeof(c[1]), "ad", 2, m, &final, &err),
			 -EBADMSG);
	cr_stream_pull_free(pull);
	c[0][3] ^= 1;
	assert_int_equal(cr_stream_pull_new(key, hdr, &pull, &err), 0);
	t_expect_error(cr_stream_pull(pull, c[0], sizeof(c[0]), "ad", 2, m, &final, &err), &err,
		       "authentication failed");
	cr_stream_pull_free(pull);
	c[0][3] ^= 1;
	assert_int_equal(cr_stream_pull_new(key, hdr, &pull, &err), 0);
	assert_true(cr_stream_pull(pull, c[0], sizeof(c[0]), "AD", 2, m, &final, &err) < 0);
	cr_stream_pull_free(pull);
	assert_int_equal(cr_stream_pull_new(other, hdr, &pull, &err), 0);
	assert_true(cr_stream_pull(pull, c[0], sizeof(c[0]), "ad", 2, m, &final, &err) < 0);
	t_expect_error(cr_stream_pull(pull, c[0], 3, NULL, 0, m, &final, &err), &err, "too short");
	cr_stream_pull_free(pull);
	cr_error_clear(&err);
}

static void key_files(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *k = t_join(tmp, "kf"), *shortk = t_join(tmp, "short");
	assert_int_equal(cr_keyfile_create(k, &err), 0);
	t_expect_error(cr_keyfile_create(k, &err), &err, "cannot create");
	struct stat st;
	assert_int_equal(stat(k, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	uint8_t a[32], b[32], c[32], ida[CR_KEY_ID_BYTES], idb[CR_KEY_ID_BYTES];
	assert_int_equal(cr_keyfile_derive(k, "crimage1", a, ida, &err), 0);
	assert_int_equal(cr_keyfile_derive(k, "crimage1", b, idb, &err), 0);
	assert_memory_equal(a, b, 32);
	assert_memory_equal(ida, idb, sizeof(ida));
	assert_int_equal(cr_keyfile_derive(k, "transp01", c, idb, &err), 0);
	assert_memory_not_equal(a, c, 32); /* one file, separate keys per purpose */
	t_write(tmp, "short", "0123456789abcdef", 16, 0600);
	t_expect_error(cr_keyfile_derive(shortk, "crimage1", a, ida, &err), &err,
		       "expected 32 to 4096");
	char *missing = t_join(tmp, "missing");
	t_expect_error(cr_keyfile_derive(missing, "crimage1", a, ida, &err), &err, "cannot open");
	free(missing);
	cr_error_clear(&err);
	free(k);
	free(shortk);
}

static void host_keys_and_sealing(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_host_keypair kp, kp2, loaded;
	assert_int_equal(cr_hostkey_generate(&kp, &err), 0);
	assert_int_equal(cr_hostkey_generate(&kp2, &err), 0);
	char *k = t_join(tmp, "etc/corral/host.key"), *pub = t_join(tmp, "etc/corral/host.pub");
	assert_int_equal(cr_hostkey_save(&kp, k, pub, false, &err), 0);
	assert_int_equal(cr_hostkey_save(&kp2, k, pub, true, &err), 0); /* --force */
	assert_int_equal(cr_hostkey_load(k, &loaded, &err), 0);
	assert_memory_equal(loaded.pk, kp2.pk, 32);
	assert_memory_equal(loaded.sk, kp2.sk, 32);

	char b64[CR_HOSTKEY_TEXT_MAX], hex[65], text[2 * CR_HOSTKEY_TEXT_MAX + 4];
	uint8_t pk[32];
	cr_hostkey_to_base64(kp.pk, b64);
	cr_hostkey_to_hex(kp.pk, hex);
	snprintf(text, sizeof(text), "  %s\n", b64);
	assert_int_equal(cr_hostkey_parse(text, pk, &err), 0);
	assert_memory_equal(pk, kp.pk, 32);
	assert_int_equal(cr_hostkey_parse(hex, pk, &err), 0);
	assert_memory_equal(pk, kp.pk, 32);
	t_expect_error(cr_hostkey_parse("not-a-key", pk, &err), &err, "not a public key");
	snprintf(text, sizeof(text), "%s %s", b64, b64);
	t_expect_error(cr_hostkey_parse(text, pk, &err), &err, "more than one word");

	uint8_t skey[CR_STREAM_KEYBYTES], out[CR_STREAM_KEYBYTES], sealed[CR_SEALED_KEY_BYTES];
	cr_random_bytes(skey, sizeof(skey));
	assert_int_equal(cr_seal_key(skey, kp.pk, sealed, &err), 0);
	assert_int_equal(cr_seal_open_key(sealed, &kp, out, &err), 0);
	assert_memory_equal(skey, out, sizeof(skey));
	t_expect_error(cr_seal_open_key(sealed, &kp2, out, &err), &err, "sealed for another host");
	cr_error_clear(&err);
	free(k);
	free(pub);
}

static void changing_files_are_refused(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	static uint8_t data[300000];
	t_fill(data, sizeof(data), 5);
	for (int grow = 0; grow < 2; grow++) {
		t_write(tmp, "changing", data, sizeof(data), 0600);
		char *path = t_join(tmp, "changing");
		struct cr_image_membuf mb = {0};
		struct cr_image_io io = cr_image_io_mem(&mb);
		struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
		struct cr_image_writer *w = NULL;
		assert_int_equal(cr_image_writer_open(&io, &opts, NULL, &w, &err), 0);
		assert_int_equal(cr_image_writer_add_file(w, "f", path, &err), 0);
		assert_int_equal(truncate(path, grow ? sizeof(data) + 10 : 1000), 0);
		t_expect_error(cr_image_writer_finish(w, &err), &err, grow ? "grew" : "shrank");
		cr_image_writer_free(w);
		cr_image_membuf_free(&mb);
		free(path);
	}
	/* A log still being written is packed as far as the manifest says. */
	t_write(tmp, "dump.log", data, sizeof(data), 0600);
	char *log = t_join(tmp, "dump.log");
	struct cr_image_membuf mb = {0};
	struct cr_image_io io = cr_image_io_mem(&mb);
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	struct cr_image_writer *w = NULL;
	assert_int_equal(cr_image_writer_open(&io, &opts, NULL, &w, &err), 0);
	assert_int_equal(cr_image_writer_add_file(w, "criu/dump.log", log, &err), 0);
	assert_int_equal(truncate(log, sizeof(data) + 10), 0);
	assert_int_equal(cr_image_writer_finish(w, &err), 0);
	cr_image_writer_free(w);
	cr_image_membuf_free(&mb);
	free(log);
	cr_error_clear(&err);
}

static int setup(void **state)
{
	(void)state;
	tmp = t_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	t_rm_rf(tmp);
	free(tmp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stream_round_trip_and_tampering),
		cmocka_unit_test(key_files),
		cmocka_unit_test(host_keys_and_sealing),
		cmocka_unit_test(changing_files_are_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
