/* Today's reader reads the released format 1.0 exactly: golden images in
 * tests/golden/ (plain, key file, sealed to a host key), written once by this
 * file's generator (CORRAL_GOLDEN_WRITE=DIR test_image_golden) and committed
 * as binaries. Never regenerate them for a format change: add new goldens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_image_util.h"

#include "crypto/crypto_hostkey.h"

#define GOLDEN_PAGES_LEN 300000
#define CREATED_NS INT64_C(1764400000000000000)
#define CHECKPOINT_NS INT64_C(1764399990000000000)
#define SPEC "name = golden\nhostname = golden\n"

static const char *const modes[] = {"image-v1.0.crimg", "image-v1.0-keyfile.crimg",
				    "image-v1.0-sealed.crimg"};
static char *tmp, *key_path, *host_key_path;

/* Frozen content generator: never change it (the goldens depend on it). */
static void golden_bytes(uint8_t *buf, size_t len)
{
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < len; i++) {
		if ((i / 4096) % 2) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (uint8_t)(x >> 11);
		} else {
			buf[i] = (uint8_t)(i / 4096 + i % 13);
		}
	}
}

/* Keys of the goldens: test material only, committed on purpose. */
static void key_bytes(uint8_t k[32], uint8_t base)
{
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)(base + 7 * i);
}

static void write_keys(const char *dir)
{
	uint8_t k[32];
	key_bytes(k, 1);
	t_write(dir, "image-v1.0.key", k, 32, 0600);
	key_bytes(k, 99);
	t_write(dir, "image-v1.0-host.key", k, 32, 0600);
}

static void generate(const char *dir)
{
	struct cr_error err = CR_ERROR_INIT;
	write_keys(dir);
	char *kf = t_join(dir, "image-v1.0.key"), *hk = t_join(dir, "image-v1.0-host.key");
	struct cr_host_keypair kp;
	assert_int_equal(cr_hostkey_load(hk, &kp, &err), 0);
	static uint8_t pages[GOLDEN_PAGES_LEN];
	golden_bytes(pages, sizeof(pages));
	uint8_t inventory[100];
	for (int i = 0; i < 100; i++)
		inventory[i] = (uint8_t)i;
	for (int mode = 0; mode < 3; mode++) {
		char *path = t_join(dir, modes[mode]);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		struct cr_image_io io = cr_image_io_fd(fd);
		struct cr_image_options opts = {.protection = (enum cr_image_protection)mode,
						.key_file = kf, .recipient_pk = kp.pk};
		struct cr_image_info info = {.partition = "golden", .spec_text = SPEC,
					     .criu_version = "4.1.1", .hostname = "golden-host",
					     .kernel = "Linux 6.1.0-golden", .arch = "x86_64",
					     .cpu_features = "fpu sse2 avx2",
					     .created_ns = CREATED_NS,
					     .checkpoint_ns = CHECKPOINT_NS};
		struct cr_image_writer *w = NULL;
		assert_int_equal(cr_image_writer_open(&io, &opts, &info, &w, &err), 0);
		assert_int_equal(cr_image_writer_add_dir(w, "criu", 0755, &err), 0);
		assert_int_equal(cr_image_writer_add_buffer(w, "criu/pages-1.img", pages,
							    sizeof(pages), 0600, &err),
				 0);
		assert_int_equal(cr_image_writer_add_buffer(w, "criu/inventory.img", inventory,
							    sizeof(inventory), 0644, &err),
				 0);
		assert_int_equal(cr_image_writer_add_buffer(w, "criu/empty.img", "", 0, 0644, &err),
				 0);
		assert_int_equal(cr_image_writer_add_symlink(w, "criu/latest", "pages-1.img", &err),
				 0);
		assert_int_equal(cr_image_writer_add_buffer(w, "state", "running\n", 8, 0600, &err),
				 0);
		assert_int_equal(cr_image_writer_finish(w, &err), 0);
		cr_image_writer_free(w);
		close(fd);
		free(path);
	}
	free(kf);
	free(hk);
}

static void check_manifest(const struct cr_image_manifest *m, int mode)
{
	assert_int_equal(m->major, 1);
	assert_int_equal(m->minor, 0);
	assert_int_equal(m->protection, mode);
	assert_string_equal(m->partition, "golden");
	assert_string_equal(m->spec_text, SPEC);
	assert_string_equal(m->hostname, "golden-host");
	assert_string_equal(m->kernel, "Linux 6.1.0-golden");
	assert_string_equal(m->arch, "x86_64");
	assert_string_equal(m->criu_version, "4.1.1");
	assert_int_equal(m->n_cpu_features, 3);
	assert_string_equal(m->cpu_features[2], "avx2");
	assert_true(m->created_ns == CREATED_NS);
	assert_true(m->checkpoint_ns == CHECKPOINT_NS);
	assert_int_equal(m->block_size, 131072);
	assert_int_equal(m->n_entries, 6);
	const char *paths[] = {"criu", "criu/pages-1.img", "criu/inventory.img",
			       "criu/empty.img", "criu/latest", "state"};
	const uint64_t sizes[] = {0, GOLDEN_PAGES_LEN, 100, 0, 0, 8};
	const uint32_t perms[] = {0755, 0600, 0644, 0644, 0777, 0600};
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(m->entries[i].path, paths[i]);
		assert_int_equal(m->entries[i].size, sizes[i]);
		assert_int_equal(m->entries[i].mode, perms[i]);
	}
	assert_int_equal(m->entries[0].type, CR_ENTRY_DIR);
	assert_int_equal(m->entries[4].type, CR_ENTRY_SYMLINK);
	assert_string_equal(m->entries[4].link_target, "pages-1.img");
}

static void check_content(const char *out)
{
	static uint8_t pages[GOLDEN_PAGES_LEN];
	golden_bytes(pages, sizeof(pages));
	size_t len = 0;
	char *p = t_join(out, "criu/pages-1.img");
	uint8_t *data = t_read(p, &len);
	assert_int_equal(len, GOLDEN_PAGES_LEN);
	assert_memory_equal(data, pages, len);
	free(data);
	free(p);
	p = t_join(out, "criu/inventory.img");
	data = t_read(p, &len);
	assert_int_equal(len, 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(data[i], i);
	free(data);
	free(p);
	p = t_join(out, "state");
	data = t_read(p, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(data, "running\n", 8);
	free(data);
	free(p);
	p = t_join(out, "criu/latest");
	char target[32] = {0};
	assert_int_equal(readlink(p, target, sizeof(target) - 1), 11);
	assert_string_equal(target, "pages-1.img");
	free(p);
}

static void reads_golden(int mode)
{
	struct cr_error err = CR_ERROR_INIT;
	const char *src = getenv("CORRAL_SOURCE_DIR");
	char *path = NULL;
	assert_true(asprintf(&path, "%s/tests/golden/%s", src ? src : "../..", modes[mode]) > 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("cannot open golden image %s", path);
	struct cr_image_io io = cr_image_io_fd(fd);
	struct cr_image_keys keys = {.key_file = key_path, .host_key_file = host_key_path};
	struct cr_image_reader *r = NULL;
	if (cr_image_reader_open(&io, &keys, &r, &err) < 0)
		fail_msg("%s: %s", path, cr_error_msg(&err));
	check_manifest(cr_image_reader_manifest(r), mode);
	char *out = t_join(tmp, "out");
	if (cr_image_extract_all(r, out, &err) < 0)
		fail_msg("%s: %s", path, cr_error_msg(&err));
	check_content(out);
	t_rm_rf(out);
	free(out);
	cr_image_reader_free(r);
	close(fd);
	free(path);
}

static void golden_plain(void **state)
{
	(void)state;
	reads_golden(0);
}

static void golden_keyfile(void **state)
{
	(void)state;
	reads_golden(1);
}

static void golden_sealed(void **state)
{
	(void)state;
	reads_golden(2);
}

static int setup(void **state)
{
	(void)state;
	tmp = t_mkdtemp();
	write_keys(tmp); /* git does not keep the 0600 the key files need */
	key_path = t_join(tmp, "image-v1.0.key");
	host_key_path = t_join(tmp, "image-v1.0-host.key");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	t_rm_rf(tmp);
	free(tmp);
	free(key_path);
	free(host_key_path);
	return 0;
}

int main(void)
{
	const char *gen = getenv("CORRAL_GOLDEN_WRITE");
	if (gen) {
		generate(gen);
		printf("wrote golden images to %s\n", gen);
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(golden_plain),
		cmocka_unit_test(golden_keyfile),
		cmocka_unit_test(golden_sealed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
