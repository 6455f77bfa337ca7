/* Running programs with a deadline, and the criu probe against fake criu
 * binaries (shell scripts named by $CORRAL_CRIU): versions, failing checks,
 * hangs that must be cut off, and CRIU_FAULT passed through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check/child_wait.h"
#include "check/criu_binary.h"
#include "check/probes.h"
#include "check/run_cmd.h"
#include "util/fsutil.h"

static char tmp_dir[] = "/tmp/corral-test-check-criu-XXXXXX";

static void run_captures_output_and_status(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	char *out = NULL;
	int status = 0;
	assert_int_equal(cr_run_capture(argv, NULL, 5000, &out, &status, &err), 0);
	assert_string_equal(out, "out\nerr\n");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	free(out);
}

static void run_overrides_environment(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	setenv("CRIU_FAULT", "7", 1);
	char *argv[] = {"/bin/sh", "-c", "env | grep -c '^CRIU_FAULT='; echo $CRIU_FAULT", NULL};
	char *extra[] = {"CRIU_FAULT=130", NULL};
	char *out = NULL;
	int status = 0;
	assert_int_equal(cr_run_capture(argv, extra, 5000, &out, &status, &err), 0);
	assert_string_equal(out, "1\n130\n"); /* replaced, not duplicated */
	free(out);
	unsetenv("CRIU_FAULT");
}

static void run_kills_a_hanging_program(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	/* The grandchild keeps the pipe open: the whole process group must go. */
	char *argv[] = {"/bin/sh", "-c", "sleep 30 & sleep 30", NULL};
	char *out = NULL;
	int status = 0;
	int64_t t0 = cr_now_ms();
	assert_int_equal(cr_run_capture(argv, NULL, 300, &out, &status, &err), -ETIMEDOUT);
	assert_true(cr_now_ms() - t0 < 3000);
	assert_non_null(strstr(err.msg, "did not finish within 300 ms"));
	assert_null(out);
	cr_error_clear(&err);
}

static void run_reports_a_missing_program(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *argv[] = {"/nonexistent/criu", NULL};
	char *out = NULL;
	int status = 0;
	assert_int_equal(cr_run_capture(argv, NULL, 2000, &out, &status, &err), 0);
	assert_int_equal(WEXITSTATUS(status), 127);
	free(out);
}

/* A fake criu: prints VERSION_LINE for --version, runs CHECK_BODY for check. */
static char *fake_criu(const char *name, const char *version_line, const char *check_body)
{
	char *path = NULL, *script = NULL;
	struct cr_error err = CR_ERROR_INIT;
	assert_true(asprintf(&path, "%s/%s", tmp_dir, name) > 0);
	assert_true(asprintf(&script,
			     "#!/bin/sh\ncase \"$1\" in\n--version) echo '%s'; echo 'GitID: x' ;;\n"
			     "check) %s ;;\n*) exit 9 ;;\nesac\n",
			     version_line, check_body) > 0);
	assert_int_equal(cr_write_file_atomic(path, script, strlen(script), 0755, &err), 0);
	free(script);
	setenv("CORRAL_CRIU", path, 1);
	return path;
}

static void probe(struct cr_host_facts *f, bool fault)
{
	struct cr_error err = CR_ERROR_INIT;
	memset(f, 0, sizeof(*f));
	f->criu_needs_fault = fault;
	assert_int_equal(cr_probe_criu(f, &err), 0);
}

static void probe_accepts_a_good_criu(void **state)
{
	(void)state;
	char *path = fake_criu("good", "Version: 4.1.1",
			       "[ \"$CRIU_FAULT\" = 130 ] && echo 'Looks good.' || exit 1");
	struct cr_host_facts f;
	probe(&f, true);
	assert_int_equal(f.probes[CR_PROBE_CRIU].status, CR_PROBE_OK);
	assert_string_equal(f.criu_path, path);
	assert_string_equal(f.criu_version, "4.1.1");
	assert_int_equal(f.probes[CR_PROBE_CRIU_CHECK].status, CR_PROBE_OK);
	assert_string_equal(f.probes[CR_PROBE_CRIU_CHECK].detail, "Looks good.");
	cr_host_facts_free(&f);

	probe(&f, false); /* without the fault the fake's check fails */
	assert_int_equal(f.probes[CR_PROBE_CRIU_CHECK].status,
			 geteuid() == 0 ? CR_PROBE_MISSING : CR_PROBE_SKIPPED);
	cr_host_facts_free(&f);
	free(path);
}

static void probe_refuses_an_old_criu(void **state)
{
	(void)state;
	char *path = fake_criu("old", "Version: 3.17.1", "echo 'Looks good.'");
	struct cr_host_facts f;
	probe(&f, false);
	assert_int_equal(f.probes[CR_PROBE_CRIU].status, CR_PROBE_MISSING);
	assert_non_null(strstr(f.probes[CR_PROBE_CRIU].detail, "3.17.1"));
	assert_non_null(strstr(f.probes[CR_PROBE_CRIU].detail, "too old"));
	assert_int_equal(f.probes[CR_PROBE_CRIU_CHECK].status, CR_PROBE_SKIPPED);
	cr_host_facts_free(&f);
	free(path);
}

static void probe_reports_a_failing_check(void **state)
{
	(void)state;
	char *path = fake_criu("failing", "Version: 4.1.1",
			       "echo 'Error (criu/vdso.c:1): Unexpected rt vDSO area bounds'; exit 1");
	struct cr_host_facts f;
	probe(&f, false);
	assert_int_equal(f.probes[CR_PROBE_CRIU].status, CR_PROBE_OK);
	if (geteuid() == 0) {
		assert_int_equal(f.probes[CR_PROBE_CRIU_CHECK].status, CR_PROBE_MISSING);
		assert_non_null(strstr(f.probes[CR_PROBE_CRIU_CHECK].detail, "vDSO area bounds"));
	}
	cr_host_facts_free(&f);
	free(path);
}

static void probe_cuts_off_a_hanging_check(void **state)
{
	(void)state;
	char *path = fake_criu("hanging", "Version: 4.1.1", "sleep 60");
	struct cr_host_facts f;
	int64_t t0 = cr_now_ms();
	probe(&f, false);
	assert_true(cr_now_ms() - t0 < 10000);
	assert_int_equal(f.probes[CR_PROBE_CRIU_CHECK].status, CR_PROBE_MISSING);
	assert_non_null(strstr(f.probes[CR_PROBE_CRIU_CHECK].detail, "did not finish"));
	cr_host_facts_free(&f);
	free(path);
}

static void probe_without_criu(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	setenv("CORRAL_CRIU", "/nonexistent/criu", 1);
	char *p = NULL;
	assert_int_equal(cr_criu_locate(&p, &err), -ENOENT);
	cr_error_clear(&err);
	struct cr_host_facts f;
	probe(&f, false);
	assert_int_equal(f.probes[CR_PROBE_CRIU].status, CR_PROBE_MISSING);
	assert_int_equal(f.probes[CR_PROBE_CRIU_CHECK].status, CR_PROBE_MISSING);
	assert_null(f.criu_path);
	cr_host_facts_free(&f);
}

static void locate_searches_path(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *fake = fake_criu("criu", "Version: 4.1.1", "true");
	unsetenv("CORRAL_CRIU");
	char *old = strdup(getenv("PATH") ? getenv("PATH") : "");
	char *path_env = NULL;
	assert_true(asprintf(&path_env, "relative/dir:%s:/usr/bin", tmp_dir) > 0);
	setenv("PATH", path_env, 1);
	char *found = NULL;
	assert_int_equal(cr_criu_locate(&found, &err), 0);
	assert_string_equal(found, fake);
	setenv("PATH", old, 1);
	free(found);
	free(path_env);
	free(old);
	free(fake);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("CORRAL_CRIU");
	return cr_rm_rf(tmp_dir, NULL) < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run_captures_output_and_status),
		cmocka_unit_test(run_overrides_environment),
		cmocka_unit_test(run_kills_a_hanging_program),
		cmocka_unit_test(run_reports_a_missing_program),
		cmocka_unit_test(probe_accepts_a_good_criu),
		cmocka_unit_test(probe_refuses_an_old_criu),
		cmocka_unit_test(probe_reports_a_failing_check),
		cmocka_unit_test(probe_cuts_off_a_hanging_check),
		cmocka_unit_test(probe_without_criu),
		cmocka_unit_test(locate_searches_path),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
