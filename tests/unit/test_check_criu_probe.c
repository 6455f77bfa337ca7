/* Running programs with a deadline, and the criu probe against fake criu
 * binaries (shell scripts named by $CORRAL_CRIU): versions, failing checks,
 * hangs that must be cut off, and CRIU_FAULT passed through. The lazy-pages
 * probe: its verdict names the missing precondition and what to set, and its
 * round trip against fake criu binaries (a failing lazy dump, a hanging one,
 * one that works) reports what happened, within its bound. */
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

#include "criu/criu.h"
#include "check/probes.h"
#include "check/run_cmd.h"
#include "util/child_wait.h"
#include "util/clock.h"
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

static void lazy_pipe_bytes_is_what_criu_asks(void **state)
{
	(void)state;
	/* criu/include/page-pipe.h: 8 pages of 40-byte pipe buffers, rounded by
	 * the kernel to a power of two of pages: 4 MiB with 4 KiB pages. */
	if (sysconf(_SC_PAGESIZE) == 4096 && sizeof(void *) == 8)
		assert_int_equal(cr_lazy_pipe_bytes(), 4194304);
	long b = cr_lazy_pipe_bytes();
	assert_true(b > 0 && (b & (b - 1)) == 0);
}

static const char *verdict(struct cr_host_facts *f, const struct cr_lazy_evidence *e,
			   enum cr_probe_status want)
{
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_lazy_verdict(f, e, &err), 0);
	assert_int_equal(f->probes[CR_PROBE_LAZY_PAGES].status, want);
	assert_non_null(f->probes[CR_PROBE_LAZY_PAGES].detail);
	return f->probes[CR_PROBE_LAZY_PAGES].detail;
}

static void lazy_verdict_states_what_was_proven(void **state)
{
	(void)state;
	struct cr_host_facts f;
	memset(&f, 0, sizeof(f));
	char sysctl[64];
	snprintf(sysctl, sizeof(sysctl), "sysctl fs.pipe-max-size=%ld", cr_lazy_pipe_bytes());
	struct cr_lazy_evidence e = {.uffd = false, .pipe_max_size = 1048576,
				     .cap_sys_resource = 0, .pipe_grows = true, .round_trip = -1,
				     .criu = "4.1.1 at /x/criu"};
	assert_non_null(strstr(verdict(&f, &e, CR_PROBE_MISSING), "no userfaultfd"));

	/* The host of ENVIRONMENT.md: uffd works, the pipe cannot grow, CRIU's
	 * lazy dump fails: missing, with CRIU's error and the sysctl to run. */
	e.uffd = true;
	e.pipe_grows = false;
	e.round_trip = 0;
	e.why = "dump.log: Error (criu/page-pipe.c:424): page-pipe: splice: -1: Bad file descriptor";
	const char *d = verdict(&f, &e, CR_PROBE_MISSING);
	assert_non_null(strstr(d, "splice: -1"));
	assert_non_null(strstr(d, sysctl));
	assert_non_null(strstr(d, "fs.pipe-max-size is 1048576"));
	assert_non_null(strstr(d, "CAP_SYS_RESOURCE is not effective"));
	assert_non_null(strstr(d, "4.1.1 at /x/criu"));

	/* A patched CRIU copes with the small pipes: the round trip is the proof. */
	e.round_trip = 1;
	e.why = NULL;
	d = verdict(&f, &e, CR_PROBE_OK);
	assert_non_null(strstr(d, "round trip passed"));
	assert_non_null(strstr(d, "copes with the small fs.pipe-max-size"));

	/* Not tried (not root): no conclusion, but what was seen is said. */
	e.round_trip = -1;
	e.why = "a CRIU dump needs root";
	d = verdict(&f, &e, CR_PROBE_SKIPPED);
	assert_non_null(strstr(d, "not tried: a CRIU dump needs root"));
	assert_non_null(strstr(d, sysctl));
	e.pipe_grows = true;
	d = verdict(&f, &e, CR_PROBE_SKIPPED);
	assert_non_null(strstr(d, "needs root"));
	assert_null(strstr(d, "sysctl"));

	/* A failed round trip with pipes that grow says no more than CRIU did. */
	e.round_trip = 0;
	e.why = "criu restore --lazy-pages did not leave a running copy";
	d = verdict(&f, &e, CR_PROBE_MISSING);
	assert_null(strstr(d, "sysctl"));
	assert_non_null(strstr(d, "running copy"));
	cr_host_facts_free(&f);
}

/* A fake criu for the lazy round trip: DUMP, PAGES and RESTORE are shell
 * bodies run with $D set to the images directory (-D). */
static char *fake_lazy_criu(const char *name, const char *dump, const char *pages,
			    const char *restore)
{
	char *path = NULL, *script = NULL;
	struct cr_error err = CR_ERROR_INIT;
	assert_true(asprintf(&path, "%s/%s", tmp_dir, name) > 0);
	assert_true(asprintf(&script,
			     "#!/bin/sh\nverb=$1; D=\nwhile [ $# -gt 0 ]; do [ \"$1\" = -D ] && D=$2; "
			     "shift; done\ncase $verb in\ndump) %s ;;\nlazy-pages) %s ;;\n"
			     "restore) %s ;;\n*) exit 9 ;;\nesac\n",
			     dump, pages, restore) > 0);
	assert_int_equal(cr_write_file_atomic(path, script, strlen(script), 0755, &err), 0);
	free(script);
	return path;
}

static void lazy_probe(struct cr_host_facts *f, char *criu)
{
	struct cr_error err = CR_ERROR_INIT;
	memset(f, 0, sizeof(*f));
	f->criu_path = criu;
	f->criu_version = strdup("4.1.1");
	f->probes[CR_PROBE_USERFAULTFD].status = CR_PROBE_OK;
	f->probes[CR_PROBE_CRIU_CHECK].status = CR_PROBE_OK;
	assert_int_equal(cr_probe_lazy(f, &err), 0);
}

/* No directory of a round trip is left behind (in this test's TMPDIR). */
static void assert_no_probe_dirs(void)
{
	char *out = NULL;
	int status = 0;
	struct cr_error err = CR_ERROR_INIT;
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "ls -d %s/corral-lazy-probe-* 2>/dev/null | wc -l", tmp_dir) > 0);
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	assert_int_equal(cr_run_capture(argv, NULL, 5000, &out, &status, &err), 0);
	free(cmd);
	assert_string_equal(out, "0\n");
	free(out);
}

static void lazy_probe_reports_criu_failing(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	/* CRIU 4.1's lazy dump where fs.pipe-max-size is small (ENVIRONMENT.md). */
	char *criu = fake_lazy_criu(
		"lazy-failing",
		"echo 'Starting lazy pages server' >$D/dump.log; sleep 0.3; "
		"echo '(01.75) Error (criu/page-pipe.c:424): page-pipe: splice: -1: Bad file descriptor' >>$D/dump.log; "
		"echo '(01.75) Error (criu/cr-dump.c:2019): Lazy pages transfer FAILED.' >>$D/dump.log; exit 1",
		"echo 'Waiting for incoming connections on lazy-pages.socket' >$D/lazy.log; sleep 0.5; exit 1",
		"sleep 0.5; exit 1");
	struct cr_host_facts f;
	lazy_probe(&f, criu);
	assert_int_equal(f.probes[CR_PROBE_LAZY_PAGES].status, CR_PROBE_MISSING);
	const char *d = f.probes[CR_PROBE_LAZY_PAGES].detail;
	assert_non_null(strstr(d, "round trip failed"));
	assert_non_null(strstr(d, "dump.log: Error (criu/page-pipe.c:424): page-pipe: splice"));
	cr_host_facts_free(&f);
	assert_no_probe_dirs();
}

static void lazy_probe_cuts_off_a_hanging_dump(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char *criu = fake_lazy_criu("lazy-hanging", "sleep 60", "sleep 60", "sleep 60");
	struct cr_host_facts f;
	int64_t t0 = cr_now_ms();
	lazy_probe(&f, criu);
	assert_true(cr_now_ms() - t0 < CR_LAZY_PROBE_MS + 3000);
	assert_int_equal(f.probes[CR_PROBE_LAZY_PAGES].status, CR_PROBE_MISSING);
	assert_non_null(strstr(f.probes[CR_PROBE_LAZY_PAGES].detail, "did not start its page server"));
	cr_host_facts_free(&f);
	assert_no_probe_dirs();
}

static void lazy_probe_accepts_a_working_round_trip(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	/* Each end waits for the restored copy, as the real ones wait for the
	 * pages to be sent; the copy is a sleep the probe must end. */
	const char *wait = "for i in $(seq 100); do [ -s $D/restored.pid ] && exit 0; sleep 0.05; done; exit 1";
	char *dump = NULL, *pages = NULL;
	assert_true(asprintf(&dump, "echo 'Starting lazy pages server' >$D/dump.log; %s", wait) > 0);
	assert_true(asprintf(&pages, "echo 'Waiting for incoming connections' >$D/lazy.log; %s", wait) > 0);
	char *criu = fake_lazy_criu("lazy-working", dump, pages,
				    "sleep 60 & echo $! >$D/restored.pid; "
				    "echo 'Restore finished successfully. Tasks resumed.' >$D/restore.log; wait");
	free(dump);
	free(pages);
	struct cr_host_facts f;
	lazy_probe(&f, criu);
	assert_int_equal(f.probes[CR_PROBE_LAZY_PAGES].status, CR_PROBE_OK);
	assert_non_null(strstr(f.probes[CR_PROBE_LAZY_PAGES].detail, "round trip passed"));
	cr_host_facts_free(&f);
	assert_no_probe_dirs();
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmp_dir))
		return -1;
	/* The lazy probe's round trips in here, not beside those of other
	 * programs probing at the same time. */
	setenv("TMPDIR", tmp_dir, 1);
	return 0;
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
		cmocka_unit_test(lazy_pipe_bytes_is_what_criu_asks),
		cmocka_unit_test(lazy_verdict_states_what_was_proven),
		cmocka_unit_test(lazy_probe_reports_criu_failing),
		cmocka_unit_test(lazy_probe_cuts_off_a_hanging_dump),
		cmocka_unit_test(lazy_probe_accepts_a_working_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
