/* CRIU features an image's restore needs (check/criu_features.h): when a dump
 * may use tmpfs-plain-tar (scripts/criu-patches/0009), the manifest field that
 * records it, the peer's Hello that announces it, and the refusal of a
 * restore on a host whose CRIU lacks it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "check/criu_features.h"
#include "formats/image_format.h"
#include "formats/image_manifest.h"
#include "transport/hello.h"

static void facts_with(struct cr_host_facts *f, enum cr_probe_status tmpfs_tar)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		assert_int_equal(cr_probe_set(&f->probes[i], CR_PROBE_OK, NULL), 0);
	assert_int_equal(cr_probe_set(&f->probes[CR_PROBE_CRIU_TMPFS_TAR], tmpfs_tar, NULL), 0);
	f->criu_path = strdup("/usr/local/sbin/criu");
	f->criu_version = strdup("4.1.1");
}

static void plain_tar_only_when_both_sides_have_it(void **state)
{
	(void)state;
	struct cr_host_facts f;
	facts_with(&f, CR_PROBE_OK);
	assert_true(cr_dump_tmpfs_plain(&f, true));
	assert_false(cr_dump_tmpfs_plain(&f, false)); /* the restoring CRIU lacks it */
	assert_string_equal(cr_criu_needs_of_dump(true), CR_CRIU_FEATURE_TMPFS_TAR);
	assert_null(cr_criu_needs_of_dump(false));
	cr_host_facts_free(&f);

	enum cr_probe_status lacking[] = {CR_PROBE_MISSING, CR_PROBE_SKIPPED};
	for (size_t i = 0; i < 2; i++) {
		facts_with(&f, lacking[i]);
		assert_false(cr_dump_tmpfs_plain(&f, true)); /* this CRIU cannot write it */
		cr_host_facts_free(&f);
	}
}

static void restore_needs_are_checked(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *needs[] = {(char *)CR_CRIU_FEATURE_TMPFS_TAR};
	char *unknown[] = {(char *)"teleport"};
	struct cr_host_facts f;

	facts_with(&f, CR_PROBE_OK);
	assert_int_equal(cr_criu_features_check(&f, NULL, 0, &err), 0);
	assert_int_equal(cr_criu_features_check(&f, needs, 1, &err), 0);
	assert_int_equal(cr_criu_features_check(&f, unknown, 1, &err), -EOPNOTSUPP);
	assert_non_null(strstr(cr_error_msg(&err), "teleport"));
	cr_error_clear(&err);
	cr_host_facts_free(&f);

	facts_with(&f, CR_PROBE_MISSING);
	assert_int_equal(cr_criu_features_check(&f, NULL, 0, &err), 0); /* older images */
	assert_int_equal(cr_criu_features_check(&f, needs, 1, &err), -EOPNOTSUPP);
	const char *msg = cr_error_msg(&err);
	assert_non_null(strstr(msg, "tmpfs-plain-tar"));
	assert_non_null(strstr(msg, "/usr/local/sbin/criu"));
	assert_non_null(strstr(msg, "scripts/deps.sh"));
	assert_null(strchr(msg, '\n'));
	cr_error_clear(&err);
	cr_host_facts_free(&f);
}

static void roundtrip(const struct cr_image_manifest *in, struct cr_image_manifest *out, int expect)
{
	struct cr_error err = CR_ERROR_INIT;
	uint8_t *pb = NULL;
	size_t len = 0;
	assert_int_equal(cr_image_manifest_pack(in, &pb, &len, &err), 0);
	memset(out, 0, sizeof(*out));
	int r = cr_image_manifest_unpack(pb, len, out, &err);
	if (expect == 0 && r != 0)
		fail_msg("unpack: %s", cr_error_msg(&err));
	assert_int_equal(r, expect);
	cr_error_clear(&err);
	free(pb);
}

static void manifest_records_what_restore_needs(void **state)
{
	(void)state;
	struct cr_image_manifest m = {.partition = (char *)"p", .block_size = CR_IMAGE_BLOCK_SIZE};
	struct cr_image_manifest got;

	/* Older images: no field, nothing needed. */
	roundtrip(&m, &got, 0);
	assert_int_equal(got.n_criu_needs, 0);
	cr_image_manifest_free(&got);

	char *needs[] = {(char *)CR_CRIU_FEATURE_TMPFS_TAR};
	m.criu_needs = needs;
	m.n_criu_needs = 1;
	roundtrip(&m, &got, 0);
	assert_int_equal(got.n_criu_needs, 1);
	assert_string_equal(got.criu_needs[0], CR_CRIU_FEATURE_TMPFS_TAR);
	cr_image_manifest_free(&got);

	char *empty[] = {(char *)""};
	m.criu_needs = empty;
	roundtrip(&m, &got, -EBADMSG);
	cr_image_manifest_free(&got);

	char *many[CR_IMAGE_CRIU_NEEDS_MAX + 1];
	for (size_t i = 0; i < CR_IMAGE_CRIU_NEEDS_MAX + 1; i++)
		many[i] = (char *)"x";
	m.criu_needs = many;
	m.n_criu_needs = CR_IMAGE_CRIU_NEEDS_MAX + 1;
	roundtrip(&m, &got, -EBADMSG);
	cr_image_manifest_free(&got);
}

static void hello_announces_the_feature(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	/* An older peer sends no list: it gets CRIU's tar.gz. */
	struct cr_peer_info old = {.proto_major = 1, .proto_minor = 3};
	assert_false(cr_peer_info_has_criu(&old, CR_CRIU_FEATURE_TMPFS_TAR));

	char *feats[] = {(char *)CR_CRIU_FEATURE_TMPFS_TAR};
	struct cr_peer_info src = {.proto_major = 1, .proto_minor = 3, .criu_features = feats, .n_criu_features = 1};
	struct cr_peer_info copy;
	assert_int_equal(cr_peer_info_copy(&src, &copy, &err), 0);
	assert_true(cr_peer_info_has_criu(&copy, CR_CRIU_FEATURE_TMPFS_TAR));
	assert_false(cr_peer_info_has_criu(&copy, "teleport"));
	cr_peer_info_free(&copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_tar_only_when_both_sides_have_it),
		cmocka_unit_test(restore_needs_are_checked),
		cmocka_unit_test(manifest_records_what_restore_needs),
		cmocka_unit_test(hello_announces_the_feature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
