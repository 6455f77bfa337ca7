/* A `criu lazy-pages` prepared ahead (criu/lazy.c, criu/lazy_claim.c)
 * against a fake criu (python3: it listens as lazy-pages.socket in its
 * images directory and echoes its page socket): claimed by another
 * process, its page socket relays and the guard's verdict arrives there;
 * unclaimed, it ends with its guard (SIGTERM, its parent gone, its claim
 * bound), daemon and offer with it; a criu that ends at once is said so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "criu/criu.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static char *tmpdir, *images;

static const char fake[] = "#!/usr/bin/env python3\n"
			   "import os, socket, sys\n"
			   "a = sys.argv\n"
			   "ps = int(a[a.index('--ps-socket') + 1])\n"
			   "os.chdir(a[a.index('-D') + 1])\n"
			   "if os.path.exists('fail'):\n"
			   "    sys.exit(1)\n"
			   "open('pid.tmp', 'w').write(str(os.getpid()))\n"
			   "os.rename('pid.tmp', 'pid')\n"
			   "s = socket.socket(socket.AF_UNIX)\n"
			   "s.bind('lazy-pages.socket')\n"
			   "s.listen(1)\n"
			   "while True:\n"
			   "    b = os.read(ps, 4096)\n"
			   "    if not b:\n"
			   "        sys.exit(0 if os.path.exists('ok') else 1)\n"
			   "    os.write(ps, b)\n";

static char *in(const char *dir, const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void touch(const char *name)
{
	cleanup_free char *p = in(images, name);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_write_file_atomic(p, "", 0, 0600, &err), 0);
}

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/corral-lazy-unit-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	tmpdir = strdup(tmpl);
	images = in(tmpdir, "criu");
	assert_int_equal(mkdir(images, 0700), 0);
	cleanup_free char *criu = in(tmpdir, "fake-criu");
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_write_file_atomic(criu, fake, strlen(fake), 0755, &err), 0);
	setenv("CORRAL_CRIU", criu, 1);
	setenv("CORRAL_CRIU_FAULT", "0", 1); /* the host is not probed with a fake criu */
	setenv("CORRAL_ROOT", tmpdir, 1);    /* a kept log goes there */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cr_rm_rf(tmpdir, NULL);
	free(images);
	free(tmpdir);
	unsetenv("CORRAL_CRIU");
	unsetenv("CORRAL_CRIU_FAULT");
	unsetenv("CORRAL_ROOT");
	return 0;
}

static pid_t fake_pid(void)
{
	cleanup_free char *p = in(images, "pid"), *text = NULL;
	size_t len = 0;
	for (int i = 0; i < 1500 && !cr_path_exists(p); i++)
		usleep(10000);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_read_file(p, 64, &text, &len, &err), 0);
	return (pid_t)strtol(text, NULL, 10);
}

/* Whether PID is gone: no such process, or a zombie its new parent has
 * not reaped yet (under load that can take seconds; it runs no more). */
static bool ended(pid_t pid)
{
	if (kill(pid, 0) < 0)
		return true;
	char path[64], line[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return true;
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = 0;
	const char *paren = strrchr(line, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* PID ends within 15 s (the machine may be loaded). */
static void gone(pid_t pid)
{
	for (int i = 0; i < 1500 && !ended(pid); i++)
		usleep(10000);
	if (!ended(pid))
		fail_msg("process %d did not end within 15 s", (int)pid);
}

static bool offered(void)
{
	cleanup_free char *p = in(images, "lazy-pages.claim");
	return cr_path_exists(p);
}

static pid_t prepared(int claim_ms)
{
	pid_t guard = 0;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_criu_lazy_daemon_prepare(NULL, "lazyunit", images, claim_ms, &guard, &err), 0);
	assert_int_equal(cr_criu_lazy_daemon_listening("lazyunit", images, guard, 10000, &err), 0);
	assert_true(offered());
	return guard;
}

static void claimed_daemon_relays_and_its_verdict_comes(void **state)
{
	(void)state;
	pid_t guard = prepared(60000);
	int ends[2];
	assert_int_equal(pipe(ends), 0);
	pid_t claimer = fork();
	assert_true(claimer >= 0);
	if (claimer == 0) { /* another process, as LazyPages' connection is */
		pid_t g = 0;
		int relay = -1;
		struct cr_error err = CR_ERROR_INIT;
		char buf[8] = {0};
		int ok = cr_criu_lazy_daemon_claim(images, &g, &relay, &err) == 1 && g == guard &&
			 write(relay, "ping", 4) == 4 && read(relay, buf, sizeof(buf)) == 4 && !strcmp(buf, "ping");
		for (int i = 0; i < 100 && offered(); i++) /* withdrawn once handed over */
			usleep(10000);
		ok = ok && !offered();
		touch("ok"); /* every page "arrived" */
		close(relay);
		ok = ok && cr_criu_lazy_guard_wait(g, 10000, &err) == 0;
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(claimer, &status, 0), claimer);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(waitpid(guard, &status, 0), guard);
	close(ends[0]);
	close(ends[1]);
}

static void claimed_daemon_ending_early_is_a_failure(void **state)
{
	(void)state;
	pid_t guard = prepared(60000), g = 0;
	int relay = -1;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_criu_lazy_daemon_claim(images, &g, &relay, &err), 1);
	close(relay); /* no "ok": it ends with pages missing */
	assert_true(cr_criu_lazy_guard_wait(g, 10000, &err) < 0);
	assert_non_null(strstr(err.msg, "ended before every page arrived"));
	cr_error_clear(&err);
	assert_int_equal(waitpid(guard, NULL, 0), guard);
}

static void unclaimed_daemon_goes_with_its_guard(void **state)
{
	(void)state;
	pid_t guard = prepared(60000), daemon = fake_pid();
	kill(guard, SIGTERM);
	struct cr_error err = CR_ERROR_INIT;
	assert_true(cr_criu_lazy_guard_wait(guard, 10000, &err) < 0);
	cr_error_clear(&err);
	gone(daemon);
	assert_false(offered());
	pid_t g = 0;
	int relay = -1;
	assert_int_equal(cr_criu_lazy_daemon_claim(images, &g, &relay, &err), 0);
}

static void unclaimed_daemon_goes_after_its_bound(void **state)
{
	(void)state;
	pid_t guard = prepared(3000), daemon = fake_pid();
	struct cr_error err = CR_ERROR_INIT;
	assert_true(cr_criu_lazy_guard_wait(guard, 10000, &err) < 0);
	cr_error_clear(&err);
	gone(daemon);
	assert_false(offered());
}

static void unclaimed_daemon_goes_with_the_process_that_prepared_it(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t preparer = fork();
	assert_true(preparer >= 0);
	if (preparer == 0) {
		pid_t guard = prepared(60000);
		ssize_t n = write(p[1], &guard, sizeof(guard));
		_exit(n == sizeof(guard) ? 0 : 1);
	}
	pid_t guard = 0;
	assert_int_equal(read(p[0], &guard, sizeof(guard)), sizeof(guard));
	assert_int_equal(waitpid(preparer, NULL, 0), preparer);
	pid_t daemon = fake_pid();
	gone(daemon);
	gone(guard);
	assert_false(offered());
	close(p[0]);
	close(p[1]);
}

static void criu_that_cannot_start_early_is_said_so(void **state)
{
	(void)state;
	touch("fail"); /* as a criu without patch 0008: no images, it ends */
	pid_t guard = 0;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_criu_lazy_daemon_prepare(NULL, "lazyunit", images, 60000, &guard, &err), 0);
	assert_true(cr_criu_lazy_daemon_listening("lazyunit", images, guard, 10000, &err) < 0);
	assert_non_null(strstr(err.msg, "ended at once"));
	cr_error_clear(&err);
	assert_false(offered());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(claimed_daemon_relays_and_its_verdict_comes, setup, teardown),
		cmocka_unit_test_setup_teardown(claimed_daemon_ending_early_is_a_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(unclaimed_daemon_goes_with_its_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(unclaimed_daemon_goes_after_its_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(unclaimed_daemon_goes_with_the_process_that_prepared_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(criu_that_cannot_start_early_is_said_so, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
