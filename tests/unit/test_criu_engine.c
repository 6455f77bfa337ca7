/* The CRIU engine without CRIU: the log reader, option checks, and the timed
 * worker driven against fake criu binaries (shell scripts) that hang, fail
 * or report their environment. Runs as any user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "criu/criu.h"
#include "criu/criu_internal.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static char *tmpdir;

static char *in_tmp(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", tmpdir, name) > 0);
	return p;
}

static void put(const char *name, const char *text, mode_t mode)
{
	cleanup_free char *p = in_tmp(name);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_write_file_atomic(p, text, strlen(text), mode, &err), 0);
}

/* Install a fake criu: a shell script with BODY, as $CORRAL_CRIU. */
static void fake_criu(const char *body)
{
	cleanup_free char *script = NULL;
	assert_true(asprintf(&script, "#!/bin/sh\n%s\n", body) > 0);
	put("criu", script, 0755);
	cleanup_free char *p = in_tmp("criu");
	setenv("CORRAL_CRIU", p, 1);
}

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/corral-criu-unit-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	tmpdir = strdup(tmpl);
	/* Decided here, so the host is not probed with a fake criu. */
	setenv("CORRAL_CRIU_FAULT", "0", 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cr_rm_rf(tmpdir, NULL);
	free(tmpdir);
	unsetenv("CORRAL_CRIU");
	unsetenv("CORRAL_CRIU_FAULT");
	return 0;
}

static void log_tail_quotes_last_errors(void **state)
{
	(void)state;
	put("dump.log",
	    "(00.000010) Version: 4.1.1\n"
	    "(00.000020) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self\n"
	    "(00.000030) Error (criu/a.c:1): first\n"
	    "(00.000040) Error (criu/a.c:2): second\n"
	    "(00.000050)      1: Error (criu/mount.c:48): mnt: third\n"
	    "(00.000060) Warn  (criu/b.c:3): not an error\n"
	    "(00.000070) Error (criu/cr-dump.c:2111): Dumping FAILED.\n"
	    "(00.000080) Unlock network\n",
	    0644);
	cleanup_free char *p = in_tmp("dump.log");
	cleanup_free char *tail = cr_criu_log_tail(p, true);
	assert_non_null(tail);
	assert_string_equal(tail, "Error (criu/a.c:2): second | "
				  "Error (criu/mount.c:48): mnt: third | "
				  "Error (criu/cr-dump.c:2111): Dumping FAILED.");
	cleanup_free char *last = cr_criu_log_tail(p, false);
	assert_string_equal(last, "Unlock network");
}

static void log_tail_without_errors_gives_last_line(void **state)
{
	(void)state;
	put("hang.log",
	    "(00.000010) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self\n"
	    "(00.100000) Waiting for 42 to trap\n\n",
	    0644);
	cleanup_free char *p = in_tmp("hang.log");
	cleanup_free char *tail = cr_criu_log_tail(p, true);
	assert_string_equal(tail, "Waiting for 42 to trap");
	put("empty.log", "", 0644);
	cleanup_free char *e = in_tmp("empty.log");
	assert_null(cr_criu_log_tail(e, true));
	cleanup_free char *missing = in_tmp("missing.log");
	assert_null(cr_criu_log_tail(missing, true));
}

static void log_path_is_a_plain_name_in_the_work_dir(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_common c = {.images_dir = "/img"};
	char *path = NULL;
	assert_int_equal(cr_criu_log_path(&c, "dump.log", &path, &err), 0);
	assert_string_equal(path, "/img/dump.log");
	free(path);
	c.work_dir = "/work";
	c.log_file = "x.log";
	assert_int_equal(cr_criu_log_path(&c, "dump.log", &path, &err), 0);
	assert_string_equal(path, "/work/x.log");
	free(path);
	c.log_file = "../x.log";
	path = NULL;
	assert_int_equal(cr_criu_log_path(&c, "dump.log", &path, &err), -EINVAL);
	assert_null(path);
	assert_non_null(strstr(err.msg, "../x.log"));
	cr_error_clear(&err);
}

static void bad_options_are_refused(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_dump_opts d = {.common = {.images_dir = tmpdir}};
	assert_int_equal(cr_criu_dump(&d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no pid"));
	struct cr_criu_restore_opts r = {0};
	pid_t pid = 0;
	assert_int_equal(cr_criu_restore(&r, &pid, &err), -EINVAL);
	setenv("CORRAL_CRIU_FAULT", "lots", 1);
	d.pid = getpid();
	assert_int_equal(cr_criu_dump(&d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "CORRAL_CRIU_FAULT=lots"));
	cr_error_clear(&err);
}

static void missing_images_dir_is_named(void **state)
{
	(void)state;
	fake_criu("exit 1");
	struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *missing = in_tmp("no-such-dir");
	struct cr_criu_dump_opts d = {.common = {.images_dir = missing}, .pid = getpid()};
	assert_int_equal(cr_criu_dump(&d, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no-such-dir"));
	cr_error_clear(&err);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hung_criu_is_killed_at_the_deadline(void **state)
{
	(void)state;
	cleanup_free char *pidfile = in_tmp("criu.pid");
	cleanup_free char *body = NULL;
	assert_true(asprintf(&body, "echo $$ > %s\nexec sleep 60", pidfile) > 0);
	fake_criu(body);
	put("dump.log", "(00.1) Waiting for 1 to trap\n", 0644);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_dump_opts d = {.common = {.images_dir = tmpdir, .timeout_ms = 300},
				      .pid = getpid()};
	int64_t start = now_ms();
	assert_int_equal(cr_criu_dump(&d, &err), -ETIMEDOUT);
	int64_t took = now_ms() - start;
	assert_true(took >= 300 && took < 5000);
	assert_non_null(strstr(err.msg, "criu dump of pid"));
	assert_non_null(strstr(err.msg, "timed out after 300 ms"));
	/* The stale log of an earlier run is not quoted. */
	assert_null(strstr(err.msg, "Waiting for 1 to trap"));
	cr_error_clear(&err);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(cr_read_file(pidfile, 64, &text, &len, NULL), 0);
	long fake = strtol(text, NULL, 10);
	free(text);
	assert_true(fake > 0);
	/* Killed with its process group, and reaped by us (the subreaper). */
	assert_int_equal(kill((pid_t)fake, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void failing_criu_is_quoted(void **state)
{
	(void)state;
	fake_criu("echo 'fake criu: cannot do this' >&2\nexit 1");
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_restore_opts r = {.common = {.images_dir = tmpdir, .timeout_ms = 10000}};
	pid_t pid = -1;
	assert_true(cr_criu_restore(&r, &pid, &err) < 0);
	assert_int_equal(pid, -1);
	assert_non_null(strstr(err.msg, "criu restore from"));
	if (!strstr(err.msg, "criu said: fake criu: cannot do this"))
		fail_msg("%s", err.msg);
	cr_error_clear(&err);
}

/* A failed call's log outlives the work directory it was written in. */
static void failed_log_is_kept(void **state)
{
	(void)state;
	cleanup_free char *log = in_tmp("restore.log");
	cleanup_free char *body = NULL;
	assert_true(asprintf(&body, "echo '(00.1) Error (criu/net.c:1): ip route restore failed' > %s\n"
				    "exit 1",
			     log) > 0);
	fake_criu(body);
	cleanup_free char *root = in_tmp("root");
	setenv("CORRAL_ROOT", root, 1);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_restore_opts r = {
		.common = {.images_dir = tmpdir, .timeout_ms = 10000, .keep_log_as = "web"}};
	pid_t pid = -1;
	assert_true(cr_criu_restore(&r, &pid, &err) < 0);
	cleanup_free char *kept = NULL;
	assert_true(asprintf(&kept, "%s/var/log/corral/web.restore.log", root) > 0);
	if (!strstr(err.msg, kept) || !strstr(err.msg, "ip route restore failed"))
		fail_msg("%s", err.msg);
	cr_error_clear(&err);
	unlink(log);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(cr_read_file(kept, 4096, &text, &len, NULL), 0);
	assert_non_null(strstr(text, "ip route restore failed"));
	free(text);
	unsetenv("CORRAL_ROOT");
}

/* What the fake criu saw in CRIU_FAULT, with CORRAL_CRIU_FAULT set to SETTING
 * (NULL: unset, and the caller's service SVC decides). */
static char *fault_seen(const char *setting, struct cr_criu_service *svc)
{
	cleanup_free char *out = in_tmp("fault");
	unlink(out);
	cleanup_free char *body = NULL;
	assert_true(asprintf(&body, "echo \"x${CRIU_FAULT}\" > %s\nexit 1", out) > 0);
	fake_criu(body);
	if (setting) {
		setenv("CORRAL_CRIU_FAULT", setting, 1);
	} else {
		unsetenv("CORRAL_CRIU_FAULT");
		svc->binary = getenv("CORRAL_CRIU") ? strdup(getenv("CORRAL_CRIU")) : NULL;
		unsetenv("CORRAL_CRIU"); /* the service's binary, not the located one, runs */
	}
	struct cr_error err = CR_ERROR_INIT;
	int v = 0;
	assert_true(cr_criu_get_version(svc, &v, &err) < 0);
	cr_error_clear(&err);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(cr_read_file(out, 64, &text, &len, NULL), 0);
	return text;
}

/* Without $CORRAL_CRIU_FAULT the caller's service decides: its binary runs
 * with its CRIU_FAULT; without either, the call is refused. */
static void given_service_reaches_criu(void **state)
{
	(void)state;
	struct cr_criu_service svc = {NULL, 130};
	cleanup_free char *set = fault_seen(NULL, &svc);
	assert_string_equal(set, "x130\n");
	cr_criu_service_free(&svc);
	assert_null(svc.binary);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_dump_opts d = {.common = {.images_dir = tmpdir}, .pid = getpid()};
	assert_int_equal(cr_criu_dump(&d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "how to run criu on this host was not given"));
	cr_error_clear(&err);
}

static void criu_fault_reaches_criu(void **state)
{
	(void)state;
	setenv("CRIU_FAULT", "7", 1);
	cleanup_free char *set = fault_seen("130", NULL);
	assert_string_equal(set, "x130\n");
	cleanup_free char *cleared = fault_seen("0", NULL);
	assert_string_equal(cleared, "x\n");
	unsetenv("CRIU_FAULT");
	/* Our own environment is untouched: only the worker changed. */
	assert_null(getenv("CRIU_FAULT"));
}

int main(void)
{
	/* The worker's orphans (fake criu) become ours, so the test sees them reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(log_tail_quotes_last_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(log_tail_without_errors_gives_last_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(log_path_is_a_plain_name_in_the_work_dir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_options_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_images_dir_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(hung_criu_is_killed_at_the_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(failing_criu_is_quoted, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_log_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(criu_fault_reaches_criu, setup, teardown),
		cmocka_unit_test_setup_teardown(given_service_reaches_criu, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
