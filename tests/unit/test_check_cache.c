/* The host facts cache: its key, its text format, and that a matching cache
 * is used (no probing) while a stale one is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/host_cache.h"
#include "util/fsutil.h"
#include "util/paths.h"

static char tmp_root[] = "/tmp/corral-test-check-cache-XXXXXX";

static struct cr_host_key sample_key(void)
{
	struct cr_host_key k = {strdup("6.18.44 #1 SMP PREEMPT_DYNAMIC"),
				strdup("ab1fb08e-0136-46ca-9ad4-a95ce2a41b31"),
				strdup("/usr/local/sbin/criu"), 1795968749331901639LL, 6240696, 0};
	return k;
}

static void sample_facts(struct cr_host_facts *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < CR_PROBE_COUNT; i++)
		assert_int_equal(cr_probe_set(&f->probes[i], CR_PROBE_OK, "probe %d ok", i), 0);
	assert_int_equal(cr_probe_set(&f->probes[CR_PROBE_SOFT_DIRTY], CR_PROBE_MISSING,
				      "bit 55 = clear, twice"), 0);
	assert_int_equal(cr_probe_set(&f->probes[CR_PROBE_NFTABLES], CR_PROBE_SKIPPED, NULL), 0);
	f->criu_path = strdup("/usr/local/sbin/criu");
	f->criu_version = strdup("4.1.1");
	f->criu_needs_fault = true;
	f->cgroup_mode = strdup("hybrid");
	f->cgroup_v1 = strdup("cpu,memory,freezer");
	f->cgroup_v2 = strdup("");
	f->probed_at = 1795969172;
}

static void key_changes_are_seen(void **state)
{
	(void)state;
	struct cr_host_key a = sample_key(), b = sample_key();
	assert_true(cr_host_key_equal(&a, &b));
	free(b.boot_id);
	b.boot_id = strdup("another-boot");
	assert_false(cr_host_key_equal(&a, &b));
	cr_host_key_free(&b);

	b = sample_key();
	free(b.kernel);
	b.kernel = strdup("6.18.45 #1 SMP PREEMPT_DYNAMIC");
	assert_false(cr_host_key_equal(&a, &b));
	cr_host_key_free(&b);

	b = sample_key();
	b.criu_mtime++;
	assert_false(cr_host_key_equal(&a, &b));
	b.criu_mtime--;
	b.uid = 1000;
	assert_false(cr_host_key_equal(&a, &b));
	cr_host_key_free(&b);
	cr_host_key_free(&a);
}

static void current_key_is_stable(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_host_key a, b;
	assert_int_equal(cr_host_key_current(&a, &err), 0);
	assert_int_equal(cr_host_key_current(&b, &err), 0);
	assert_true(cr_host_key_equal(&a, &b));
	assert_int_equal(a.uid, (int64_t)geteuid());
	assert_non_null(strchr(a.kernel, ' ')); /* release and version */
	cr_host_key_free(&a);
	cr_host_key_free(&b);
}

static void format_then_parse_round_trips(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_host_key k = sample_key(), k2;
	struct cr_host_facts f, f2;
	sample_facts(&f);
	char *text = NULL;
	assert_int_equal(cr_host_cache_format(&k, &f, &text, &err), 0);
	assert_int_equal(strncmp(text, CR_HOST_CACHE_MAGIC "\n", strlen(CR_HOST_CACHE_MAGIC) + 1), 0);
	assert_non_null(strstr(text, "\nprobe.soft-dirty=missing bit 55 = clear, twice\n"));
	assert_int_equal(cr_host_cache_parse(text, &k2, &f2, &err), 0);
	assert_true(cr_host_key_equal(&k, &k2));
	for (int i = 0; i < CR_PROBE_COUNT; i++) {
		assert_int_equal(f2.probes[i].status, f.probes[i].status);
		if (f.probes[i].detail)
			assert_string_equal(f2.probes[i].detail, f.probes[i].detail);
		else
			assert_null(f2.probes[i].detail);
	}
	assert_string_equal(f2.criu_path, "/usr/local/sbin/criu");
	assert_string_equal(f2.criu_version, "4.1.1");
	assert_true(f2.criu_needs_fault);
	assert_string_equal(f2.cgroup_mode, "hybrid");
	assert_string_equal(f2.cgroup_v1, "cpu,memory,freezer");
	assert_null(f2.cgroup_v2); /* empty reads back as absent */
	assert_int_equal(f2.probed_at, 1795969172);
	assert_false(f2.cached);
	free(text);
	cr_host_facts_free(&f);
	cr_host_facts_free(&f2);
	cr_host_key_free(&k);
	cr_host_key_free(&k2);
}

/* Replace the first line starting with PREFIX in TEXT by LINE ("" drops it). */
static char *edit_line(const char *text, const char *prefix, const char *line)
{
	char *out = NULL;
	const char *at = strstr(text, prefix);
	assert_non_null(at);
	const char *end = strchr(at, '\n') + 1;
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, line, end) > 0);
	return out;
}

static void parse_rejects_bad_text(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_host_key k = sample_key(), k2 = {NULL, NULL, NULL, 0, 0, 0};
	struct cr_host_facts f, f2;
	sample_facts(&f);
	char *text = NULL;
	assert_int_equal(cr_host_cache_format(&k, &f, &text, &err), 0);
	const char *edits[][2] = {
		{CR_HOST_CACHE_MAGIC, "corral-host-facts 0\n"}, /* another format */
		{"probe.fuse=", ""},                             /* a probe missing */
		{"key.boot_id=", ""},                            /* a key part missing */
		{"key.uid=", "key.uid=12x\n"},                   /* a bad number */
		{"probe.fuse=", "probe.fuse=maybe it works\n"},  /* a bad status */
		{"probe.fuse=", "probe.fuse-new=ok\n"},          /* an unknown probe */
		{"criu_needs_fault=", "criu_needs_fault=yes\n"}, /* not 0 or 1 */
		{"cgroup_mode=", "no equals sign here\n"},
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *bad = edit_line(text, edits[i][0], edits[i][1]);
		assert_int_equal(cr_host_cache_parse(bad, &k2, &f2, &err), -EINVAL);
		assert_null(k2.kernel); /* out-parameters untouched */
		free(bad);
	}
	assert_int_equal(cr_host_cache_parse("", &k2, &f2, &err), -EINVAL);
	cr_error_clear(&err);

	free(f.criu_path);
	f.criu_path = strdup("/opt/cr\niu");
	assert_int_equal(cr_host_cache_format(&k, &f, &text, &err) , -EINVAL);
	cr_error_clear(&err);
	free(text);
	cr_host_facts_free(&f);
	cr_host_key_free(&k);
}

static void probe_detail_loses_line_breaks(void **state)
{
	(void)state;
	struct cr_probe p = {CR_PROBE_MISSING, NULL};
	assert_int_equal(cr_probe_set(&p, CR_PROBE_OK, "Error (criu/cr-check.c:1):\n%s",
				      "bad\tvdso"), 0);
	assert_string_equal(p.detail, "Error (criu/cr-check.c:1): bad vdso");
	assert_int_equal(p.status, CR_PROBE_OK);
	free(p.detail);
}

static void saved_cache_is_used_while_the_key_matches(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_host_key k = sample_key();
	struct cr_host_facts f, got;
	sample_facts(&f);
	assert_int_equal(cr_host_cache_save(&k, &f, &err), 0);
	char *path = NULL;
	assert_int_equal(cr_path(&path, &err, "%s/host-facts", CR_CACHE_DIR), 0);
	assert_true(cr_path_exists(path));
	assert_int_equal(strncmp(path, tmp_root, strlen(tmp_root)), 0);

	assert_int_equal(cr_host_cache_load(&k, &got, &err), 1);
	assert_true(got.cached);
	assert_int_equal(got.probes[CR_PROBE_SOFT_DIRTY].status, CR_PROBE_MISSING);
	cr_host_facts_free(&got);

	struct cr_host_key other = sample_key();
	free(other.boot_id);
	other.boot_id = strdup("rebooted");
	assert_int_equal(cr_host_cache_load(&other, &got, &err), 0);
	cr_host_key_free(&other);

	assert_int_equal(cr_write_file_atomic(path, "garbage\n", 8, 0644, &err), 0);
	assert_int_equal(cr_host_cache_load(&k, &got, &err), 0);
	unlink(path);
	assert_int_equal(cr_host_cache_load(&k, &got, &err), 0);
	free(path);
	cr_host_facts_free(&f);
	cr_host_key_free(&k);
}

/* A cache written for this host's current key is what cr_host_facts_get and
 * cr_host_criu_env answer from: planted facts come back, nothing is probed. */
static void get_and_criu_env_answer_from_the_cache(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_host_key k;
	struct cr_host_facts f, got;
	assert_int_equal(cr_host_key_current(&k, &err), 0);
	sample_facts(&f);
	free(f.criu_path);
	f.criu_path = strdup("/planted/criu");
	assert_int_equal(cr_host_cache_save(&k, &f, &err), 0);

	assert_int_equal(cr_host_facts_get(false, &got, &err), 0);
	assert_true(got.cached);
	assert_string_equal(got.criu_path, "/planted/criu");
	cr_host_facts_free(&got);

	struct cr_criu_env env = {NULL, false};
	assert_int_equal(cr_host_criu_env(&env, &err), 0);
	assert_string_equal(env.criu_path, "/planted/criu");
	assert_true(env.needs_fault);
	cr_criu_env_free(&env);

	/* A planted criu that is too old is refused with -ENOTSUP. */
	assert_int_equal(cr_probe_set(&f.probes[CR_PROBE_CRIU], CR_PROBE_MISSING, "too old"), 0);
	assert_int_equal(cr_host_cache_save(&k, &f, &err), 0);
	assert_int_equal(cr_host_criu_env(&env, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "/planted/criu"));
	cr_error_clear(&err);
	cr_host_facts_free(&f);
	cr_host_key_free(&k);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmp_root))
		return -1;
	setenv("CORRAL_ROOT", tmp_root, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return cr_rm_rf(tmp_root, NULL) < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_changes_are_seen),
		cmocka_unit_test(current_key_is_stable),
		cmocka_unit_test(format_then_parse_round_trips),
		cmocka_unit_test(parse_rejects_bad_text),
		cmocka_unit_test(probe_detail_loses_line_breaks),
		cmocka_unit_test(saved_cache_is_used_while_the_key_matches),
		cmocka_unit_test(get_and_criu_env_answer_from_the_cache),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
