/* Images round-trip: a directory tree packed plain, with a key file and sealed
 * to a host key comes back byte for byte with modes and symlinks; wrong keys
 * and unsafe paths are refused with clear messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_image_util.h"

#include "crypto/crypto_hostkey.h"
#include "crypto/crypto_keyfile.h"
#include "formats/image_header.h"

struct fixture {
	char *tmp, *src;
	uint8_t *big;
	size_t big_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->tmp = t_mkdtemp();
	f->src = t_join(f->tmp, "src");
	assert_int_equal(mkdir(f->src, 0755), 0);
	char *sub = t_join(f->src, "sub");
	assert_int_equal(mkdir(sub, 0750), 0);
	free(sub);
	f->big_len = 3 * CR_IMAGE_BLOCK_SIZE + 12345;
	f->big = malloc(f->big_len);
	t_fill(f->big, f->big_len, 7);
	t_write(f->src, "pages-1.img", f->big, f->big_len, 0600);
	t_write(f->src, "empty", "", 0, 0644);
	static uint8_t exact[CR_IMAGE_BLOCK_SIZE];
	t_fill(exact, sizeof(exact), 3);
	t_write(f->src, "sub/exact-block", exact, sizeof(exact), 0640);
	t_write(f->src, "sub/spec", "name = web\n", 11, 0755);
	char *link = t_join(f->src, "sub/link");
	assert_int_equal(symlink("../empty", link), 0);
	free(link);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	t_rm_rf(f->tmp);
	free(f->tmp);
	free(f->src);
	free(f->big);
	free(f);
	return 0;
}

static void pack(struct fixture *f, const struct cr_image_options *opts,
		 struct cr_image_membuf *mb)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_io io = cr_image_io_mem(mb);
	struct cr_image_info info = {.partition = "web", .spec_text = "name = web\n",
				     .criu_version = "4.1.1"};
	struct cr_image_writer *w = NULL;
	int r = cr_image_writer_open(&io, opts, &info, &w, &err);
	if (r == 0)
		r = cr_image_writer_add_dir_tree(w, "criu", f->src, &err);
	if (r == 0)
		r = cr_image_writer_add_buffer(w, "state", "running\n", 8, 0600, &err);
	if (r == 0)
		r = cr_image_writer_finish(w, &err);
	if (r < 0)
		fail_msg("packing: %s", cr_error_msg(&err));
	assert_int_equal(cr_image_writer_bytes_written(w), mb->len);
	cr_image_writer_free(w);
}

static void check_same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	uint8_t *da = t_read(a, &la), *db = t_read(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, la);
	struct stat sa, sb;
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(sa.st_mode & 07777, sb.st_mode & 07777);
	assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
	free(da);
	free(db);
}

static void extract_and_compare(struct fixture *f, struct cr_image_membuf *mb,
				const struct cr_image_keys *keys)
{
	struct cr_error err = CR_ERROR_INIT;
	mb->pos = 0;
	struct cr_image_io io = cr_image_io_mem(mb);
	struct cr_image_reader *r = NULL;
	if (cr_image_reader_open(&io, keys, &r, &err) < 0)
		fail_msg("open: %s", cr_error_msg(&err));
	const struct cr_image_manifest *m = cr_image_reader_manifest(r);
	assert_string_equal(m->partition, "web");
	assert_string_equal(m->criu_version, "4.1.1");
	assert_non_null(m->kernel);
	assert_int_equal(m->major, 1);
	assert_int_equal(m->n_entries, 8); /* criu, 4 files, sub, link, state */
	char *out = t_join(f->tmp, "out");
	if (cr_image_extract_all(r, out, &err) < 0)
		fail_msg("extract: %s", cr_error_msg(&err));
	cr_image_reader_free(r);
	const char *files[] = {"pages-1.img", "empty", "sub/exact-block", "sub/spec"};
	for (size_t i = 0; i < 4; i++) {
		char *a = t_join(f->src, files[i]);
		char *crdir = t_join(out, "criu");
		char *b = t_join(crdir, files[i]);
		check_same_file(a, b);
		free(a);
		free(b);
		free(crdir);
	}
	char *link = t_join(out, "criu/sub/link");
	char target[64] = {0};
	assert_int_equal(readlink(link, target, sizeof(target) - 1), 8);
	assert_string_equal(target, "../empty");
	char *sub = t_join(out, "criu/sub");
	struct stat st;
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	char *state = t_join(out, "state");
	size_t len = 0;
	uint8_t *data = t_read(state, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(data, "running\n", 8);
	free(data);
	free(state);
	free(sub);
	free(link);
	t_rm_rf(out);
	free(out);
}

static void plain_round_trip(void **state)
{
	struct fixture *f = *state;
	struct cr_image_membuf mb = {0};
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	pack(f, &opts, &mb);
	/* Compressed: the big file is half repetitive. */
	assert_true(mb.len < f->big_len * 3 / 4);
	extract_and_compare(f, &mb, NULL);
	cr_image_membuf_free(&mb);
}

static void keyfile_round_trip_and_wrong_keys(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	char *key = t_join(f->tmp, "k1"), *other = t_join(f->tmp, "k2");
	assert_int_equal(cr_keyfile_create(key, &err), 0);
	assert_int_equal(cr_keyfile_create(other, &err), 0);
	struct cr_image_membuf mb = {0};
	struct cr_image_options opts = {.protection = CR_IMAGE_KEYFILE, .key_file = key};
	pack(f, &opts, &mb);
	/* Nothing of the plaintext shows in an encrypted image. */
	assert_null(memmem(mb.data, mb.len, "name = web", 10));
	struct cr_image_keys keys = {.key_file = key};
	extract_and_compare(f, &mb, &keys);

	t_expect_error(t_verify_mem(&mb, NULL, &err), &err, "a key file and none was given");
	struct cr_image_keys wrong = {.key_file = other};
	t_expect_error(t_verify_mem(&mb, &wrong, &err), &err, "wrong key");
	assert_int_equal(chmod(other, 0644), 0);
	t_expect_error(t_verify_mem(&mb, &wrong, &err), &err, "chmod 600");
	cr_error_clear(&err);
	cr_image_membuf_free(&mb);
	free(key);
	free(other);
}

static void sealed_round_trip_and_wrong_host(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_host_keypair kp, kp2;
	char *k = t_join(f->tmp, "host.key"), *pub = t_join(f->tmp, "host.pub");
	char *k2 = t_join(f->tmp, "other.key"), *pub2 = t_join(f->tmp, "other.pub");
	assert_int_equal(cr_hostkey_generate(&kp, &err), 0);
	assert_int_equal(cr_hostkey_generate(&kp2, &err), 0);
	assert_int_equal(cr_hostkey_save(&kp, k, pub, false, &err), 0);
	t_expect_error(cr_hostkey_save(&kp2, k, pub, false, &err), &err, "--force");
	assert_int_equal(cr_hostkey_save(&kp2, k2, pub2, false, &err), 0);
	uint8_t pk[32];
	assert_int_equal(cr_hostkey_load_public(pub, pk, &err), 0);
	assert_memory_equal(pk, kp.pk, 32);

	struct cr_image_membuf mb = {0};
	struct cr_image_options opts = {.protection = CR_IMAGE_SEALED, .recipient_pk = pk};
	pack(f, &opts, &mb);
	struct cr_image_keys keys = {.host_key_file = k};
	extract_and_compare(f, &mb, &keys);
	struct cr_image_keys wrong = {.host_key_file = k2};
	t_expect_error(t_verify_mem(&mb, &wrong, &err), &err, "sealed to host key");
	t_expect_error(t_verify_mem(&mb, NULL, &err), &err, "host key and none was given");
	cr_error_clear(&err);
	cr_image_membuf_free(&mb);
	free(k);
	free(pub);
	free(k2);
	free(pub2);
}

static void same_bytes_with_any_number_of_workers(void **state)
{
	struct fixture *f = *state;
	struct cr_image_membuf a = {0}, b = {0};
	struct cr_error err = CR_ERROR_INIT;
	for (int i = 0; i < 2; i++) {
		struct cr_image_membuf *mb = i ? &b : &a;
		struct cr_image_io io = cr_image_io_mem(mb);
		struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN, .workers = i ? 7 : 1};
		struct cr_image_info info = {.created_ns = 1, .hostname = "h", .kernel = "k",
					     .arch = "a", .cpu_features = ""};
		struct cr_image_writer *w = NULL;
		assert_int_equal(cr_image_writer_open(&io, &opts, &info, &w, &err), 0);
		assert_int_equal(cr_image_writer_add_dir_tree(w, NULL, f->src, &err), 0);
		assert_int_equal(cr_image_writer_finish(w, &err), 0);
		cr_image_writer_free(w);
	}
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	cr_image_membuf_free(&a);
	cr_image_membuf_free(&b);
}

static void unsafe_paths_are_refused(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_membuf mb = {0};
	struct cr_image_io io = cr_image_io_mem(&mb);
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	struct cr_image_writer *w = NULL;
	assert_int_equal(cr_image_writer_open(&io, &opts, NULL, &w, &err), 0);
	t_expect_error(cr_image_writer_add_buffer(w, "../x", "", 0, 0600, &err), &err, "..");
	t_expect_error(cr_image_writer_add_buffer(w, "/etc/x", "", 0, 0600, &err), &err,
		       "absolute");
	t_expect_error(cr_image_writer_add_buffer(w, "a//b", "", 0, 0600, &err), &err, "empty");
	char *evil = t_join(f->tmp, "evil");
	assert_int_equal(mkdir(evil, 0755), 0);
	char *l = t_join(evil, "l");
	assert_int_equal(symlink("../../etc/passwd", l), 0);
	t_expect_error(cr_image_writer_add_dir_tree(w, "x", evil, &err), &err, "escapes");
	assert_int_equal(cr_image_writer_add_buffer(w, "dup", "", 0, 0600, &err), 0);
	assert_int_equal(cr_image_writer_add_buffer(w, "dup", "", 0, 0600, &err), 0);
	t_expect_error(cr_image_writer_finish(w, &err), &err, "twice");
	assert_int_equal(mb.len, 0); /* nothing written for a bad entry list */
	cr_image_writer_free(w);
	cr_error_clear(&err);
	cr_image_membuf_free(&mb);
	free(l);
	free(evil);
}

static void extract_refuses_existing_and_leaves_nothing_on_error(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_membuf mb = {0};
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	pack(f, &opts, &mb);
	char *dest = t_join(f->tmp, "dest");
	assert_int_equal(mkdir(dest, 0755), 0);
	struct cr_image_io io = cr_image_io_mem(&mb);
	struct cr_image_reader *r = NULL;
	assert_int_equal(cr_image_reader_open(&io, NULL, &r, &err), 0);
	t_expect_error(cr_image_extract_all(r, dest, &err), &err, "already exists");
	cr_image_reader_free(r);
	assert_int_equal(rmdir(dest), 0);

	/* Corrupt the last data block: extraction fails after writing files. */
	mb.data[mb.len - 40] ^= 0x10;
	mb.pos = 0;
	assert_int_equal(cr_image_reader_open(&io, NULL, &r, &err), 0);
	t_expect_error(cr_image_extract_all(r, dest, &err), &err, "checksum mismatch");
	cr_image_reader_free(r);
	assert_false(cr_path_exists(dest));
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "ls -a %s | grep -q partial", f->tmp) > 0);
	assert_int_not_equal(system(cmd), 0); /* no temporary directory left */
	free(cmd);
	free(dest);
	cr_error_clear(&err);
	cr_image_membuf_free(&mb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(plain_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(keyfile_round_trip_and_wrong_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(sealed_round_trip_and_wrong_host, setup, teardown),
		cmocka_unit_test_setup_teardown(same_bytes_with_any_number_of_workers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unsafe_paths_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(extract_refuses_existing_and_leaves_nothing_on_error,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
