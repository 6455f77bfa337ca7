/* Is there a CRIU that works here: the binary, its version, `criu check`. */
#define LOG_PREFIX "check: "
#include "check/probes.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu/criu.h"
#include "check/run_cmd.h"
#include "util/cleanup.h"
#include "util/log.h"

#define CRIU_VERSION_TIMEOUT_MS 3000
#define CRIU_CHECK_TIMEOUT_MS 5000

/* The last non-empty line of OUT, trimmed, in place ("Looks good."). */
static const char *last_line(char *out)
{
	size_t n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\r'))
		out[--n] = '\0';
	char *nl = strrchr(out, '\n');
	return nl ? nl + 1 : out;
}

static int run_criu_argv(struct cr_host_facts *f, char **argv, int timeout_ms, char **ret_out, int *ret_status,
			 struct cr_error *err)
{
	char *fault[] = {CR_CRIU_FAULT_VAR "=" CR_CRIU_FAULT_NO_BREAKPOINTS, NULL};
	return cr_run_capture(argv, f->criu_needs_fault ? fault : NULL, timeout_ms, ret_out,
			      ret_status, err);
}

static int run_criu(struct cr_host_facts *f, const char *arg, int timeout_ms, char **ret_out,
		    int *ret_status, struct cr_error *err)
{
	char *argv[] = {f->criu_path, (char *)arg, NULL};
	return run_criu_argv(f, argv, timeout_ms, ret_out, ret_status, err);
}

static int probe_check(struct cr_host_facts *f, struct cr_error *err)
{
	cleanup_free char *out = NULL;
	int status = 0;
	struct cr_error rerr = CR_ERROR_INIT;
	int r = run_criu(f, "check", CRIU_CHECK_TIMEOUT_MS, &out, &status, &rerr);
	if (r < 0) {
		r = CR_PROBE_SET(f, CR_PROBE_CRIU_CHECK, CR_PROBE_MISSING, "%s", cr_error_msg(&rerr));
		cr_error_clear(&rerr);
		return r;
	}
	const char *line = last_line(out);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CR_PROBE_SET(f, CR_PROBE_CRIU_CHECK, CR_PROBE_OK, "%s", line);
	if (geteuid() != 0)
		return CR_PROBE_SET(f, CR_PROBE_CRIU_CHECK, CR_PROBE_SKIPPED,
				    "criu check needs root: run corral check as root");
	return CR_PROBE_SET(f, CR_PROBE_CRIU_CHECK, CR_PROBE_MISSING, "criu check failed: %s",
			    *line ? line : "no output");
}

int cr_probe_criu(struct cr_host_facts *f, struct cr_error *err)
{
	struct cr_error lerr = CR_ERROR_INIT;
	if (cr_criu_locate(&f->criu_path, &lerr) < 0) {
		int r = CR_PROBE_SET(f, CR_PROBE_CRIU, CR_PROBE_MISSING, "%s", cr_error_msg(&lerr));
		cr_error_clear(&lerr);
		if (r == 0)
			r = CR_PROBE_SET(f, CR_PROBE_CRIU_CHECK, CR_PROBE_MISSING, "no criu to run");
		return r;
	}
	cleanup_free char *out = NULL;
	int status = 0;
	struct cr_criu_version v;
	if (run_criu(f, "--version", CRIU_VERSION_TIMEOUT_MS, &out, &status, &lerr) < 0 ||
	    cr_criu_parse_version(out, &v, &lerr) < 0) {
		int r = CR_PROBE_SET(f, CR_PROBE_CRIU, CR_PROBE_MISSING, "%s: %s", f->criu_path,
				     cr_error_msg(&lerr));
		cr_error_clear(&lerr);
		if (r == 0)
			r = CR_PROBE_SET(f, CR_PROBE_CRIU_CHECK, CR_PROBE_MISSING,
					 "criu --version failed");
		return r;
	}
	if (asprintf(&f->criu_version, "%d.%d.%d", v.major, v.minor, v.sublevel) < 0) {
		f->criu_version = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	cr_debug("criu %s at %s", f->criu_version, f->criu_path);
	if (!cr_criu_version_ok(&v)) {
		int r = CR_PROBE_SET(f, CR_PROBE_CRIU, CR_PROBE_MISSING,
				     "%s at %s is too old: Corral needs %d.%d or newer",
				     f->criu_version, f->criu_path, CR_CRIU_MIN_MAJOR,
				     CR_CRIU_MIN_MINOR);
		if (r == 0)
			r = CR_PROBE_SET(f, CR_PROBE_CRIU_CHECK, CR_PROBE_SKIPPED,
					 "not run: criu is too old");
		return r;
	}
	int r = CR_PROBE_SET(f, CR_PROBE_CRIU, CR_PROBE_OK, "%s at %s", f->criu_version,
			     f->criu_path);
	return r < 0 ? r : probe_check(f, err);
}

static int set_both(struct cr_host_facts *f, enum cr_probe_status status, const char *why,
		    struct cr_error *err)
{
	int r = CR_PROBE_SET(f, CR_PROBE_CRIU_STREAM, status, "%s", why);
	return r < 0 ? r : CR_PROBE_SET(f, CR_PROBE_CRIU_TMPFS_TAR, status, "%s", why);
}

static int set_feature(struct cr_host_facts *f, enum cr_probe_id id, bool has, const char *name,
		       struct cr_error *err)
{
	return CR_PROBE_SET(f, id, has ? CR_PROBE_OK : CR_PROBE_MISSING, "its feature check %s %s",
			    has ? "answers" : "does not know", name);
}

/* `criu check --feature NAME` passes only for a CRIU that knows NAME: sets
 * probe ID. */
static int probe_cli_feature(struct cr_host_facts *f, enum cr_probe_id id, const char *name, struct cr_error *err)
{
	if (f->probes[CR_PROBE_CRIU_CHECK].status != CR_PROBE_OK)
		return CR_PROBE_SET(f, id, CR_PROBE_SKIPPED, "not asked: no working criu");
	char *argv[] = {f->criu_path, "check", "--feature", (char *)name, NULL};
	cleanup_free char *out = NULL;
	int status = 0;
	struct cr_error rerr = CR_ERROR_INIT;
	if (run_criu_argv(f, argv, CRIU_CHECK_TIMEOUT_MS, &out, &status, &rerr) < 0) {
		int r = CR_PROBE_SET(f, id, CR_PROBE_MISSING, "%s", cr_error_msg(&rerr));
		cr_error_clear(&rerr);
		return r;
	}
	bool has = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return CR_PROBE_SET(f, id, has ? CR_PROBE_OK : CR_PROBE_MISSING, "criu check --feature %s %s", name,
			    has ? "passes" : "fails");
}

int cr_probe_criu_features(struct cr_host_facts *f, struct cr_error *err)
{
	/* lazy_any_order: scripts/criu-patches/0010, lazy-pages matches each
	 * page answer to its request and marks a fault's; stream_pipes: 0011,
	 * a streamed restore reads pages images over two pipes in turns. */
	int r0 = probe_cli_feature(f, CR_PROBE_CRIU_LAZY_ANY_ORDER, "lazy_any_order", err);
	if (r0 == 0)
		r0 = probe_cli_feature(f, CR_PROBE_CRIU_STREAM_PIPES, "stream_pipes", err);
	if (r0 < 0)
		return r0;
	if (f->probes[CR_PROBE_CRIU_CHECK].status != CR_PROBE_OK)
		return set_both(f, CR_PROBE_SKIPPED, "not asked: no working criu", err);
	struct cr_criu_service svc = {f->criu_path, f->criu_needs_fault ? CR_CRIU_FAULT_NO_BREAKPOINTS_CODE : -1};
	struct cr_criu_features feat = {0};
	struct cr_error qerr = CR_ERROR_INIT;
	int r = cr_criu_get_features(&svc, &feat, &qerr);
	if (r < 0) {
		r = set_both(f, CR_PROBE_MISSING, cr_error_msg(&qerr), err);
		cr_error_clear(&qerr);
		return r;
	}
	r = set_feature(f, CR_PROBE_CRIU_STREAM, feat.stream, "stream", err);
	return r < 0 ? r : set_feature(f, CR_PROBE_CRIU_TMPFS_TAR, feat.tmpfs_plain_tar, "tmpfs_plain_tar", err);
}
