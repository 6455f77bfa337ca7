/* What a killed mkwpar or rmwpar leaves (partition/registry_intent.h) is
 * settled by the next command that takes the name's lock, and by lswpar's
 * walk: a creation is rolled back, or kept when its spec was written; a
 * removal is carried through even when the root part's /etc/corral is gone.
 * Runs in a temporary CORRAL_ROOT, as any user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "partition/registry.h"
#include "partition/registry_intent.h"
#include "util/fsutil.h"
#include "util/paths.h"

static char root[] = "/tmp/crsettle-XXXXXX";

static char *at(const char *fmt, const char *name)
{
	static char buf[4][512];
	static int i;
	char *b = buf[i++ % 4];
	char rel[256];
	snprintf(rel, sizeof(rel), fmt, name);
	snprintf(b, 512, "%s%s", root, rel);
	return b;
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(cr_write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
}

/* A partition's files as mkwpar makes them: root part, state, spec. */
static void make_root_part(const char *name, bool with_marker)
{
	assert_int_equal(cr_mkdir_p(at("/wpars/%s/etc/corral", name), 0755, NULL), 0);
	write_text(at("/wpars/%s/etc/hostname", name), "x\n");
	if (!with_marker)
		assert_int_equal(cr_rm_rf(at("/wpars/%s/etc", name), NULL), 0);
	assert_int_equal(cr_mkdir_p(at("/var/lib/corral/%s", name), 0700, NULL), 0);
	write_text(at("/var/lib/corral/%s/state", name), "state=D\n");
}

static void write_spec(const char *name)
{
	char text[1024];
	snprintf(text, sizeof(text), "general:\n\tname = \"%s\"\n\thostname = \"%s\"\n\tdirectory = \"%s\"\n", name,
		 name, at("/wpars/%s", name));
	assert_int_equal(cr_mkdir_p(at("/etc/wpars%s", ""), 0755, NULL), 0);
	write_text(at("/etc/wpars/%s.spec", name), text);
}

static void record(const char *name, enum cr_intent_op op, bool made)
{
	struct cr_intent in = {.op = op, .directory = at("/wpars/%s", name), .made_directory = made};
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_intent_write(name, &in, &err), 0);
	assert_true(cr_intent_exists(name));
}

static enum cr_settled take_lock(const char *name)
{
	enum cr_settled settled = CR_SETTLED_NOTHING;
	struct cr_error err = CR_ERROR_INIT;
	int fd = -1;
	int r = cr_registry_lock_settled(name, 1000, &fd, &settled, &err);
	if (r < 0)
		fail_msg("locking %s: %s", name, cr_error_msg(&err));
	close(fd);
	return settled;
}

static void intent_round_trip(void **state)
{
	(void)state;
	struct cr_intent in = {.op = CR_INTENT_REMOVE, .directory = "/w/r t", .nfs_root = true, .keep_directory = true};
	struct cr_intent out;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_intent_write("rt", &in, &err), 0);
	assert_int_equal(cr_intent_read("rt", &out, &err), 0);
	assert_int_equal(out.op, CR_INTENT_REMOVE);
	assert_string_equal(out.directory, "/w/r t");
	assert_true(out.nfs_root && out.keep_directory && !out.made_directory);
	cr_intent_free(&out);
	assert_int_equal(cr_intent_clear("rt", &err), 0);
	assert_false(cr_intent_exists("rt"));
	assert_int_equal(cr_intent_read("rt", &out, &err), 0);
	assert_int_equal(out.op, CR_INTENT_NONE);
	/* A directory with a newline cannot be recorded (nor read back wrong). */
	in.directory = "/w/a\nop=create";
	assert_int_equal(cr_intent_write("rt", &in, &err), -EINVAL);
	cr_error_clear(&err);
}

static void killed_mkwpar_is_rolled_back(void **state)
{
	(void)state;
	record("mk1", CR_INTENT_CREATE, true);
	make_root_part("mk1", true);
	assert_int_equal(take_lock("mk1"), CR_SETTLED_UNCREATED);
	assert_false(cr_path_exists(at("/wpars/%s", "mk1")));
	assert_false(cr_path_exists(at("/var/lib/corral/%s", "mk1")));
	assert_false(cr_intent_exists("mk1"));
	assert_false(cr_registry_exists("mk1"));
	/* Nothing more to do the next time. */
	assert_int_equal(take_lock("mk1"), CR_SETTLED_NOTHING);
}

static void mkwpar_preserving_keeps_the_directory(void **state)
{
	(void)state;
	record("mk2", CR_INTENT_CREATE, false); /* mkwpar -p: not its own directory */
	make_root_part("mk2", true);
	assert_int_equal(take_lock("mk2"), CR_SETTLED_UNCREATED);
	assert_true(cr_path_exists(at("/wpars/%s/etc/hostname", "mk2")));
	assert_false(cr_path_exists(at("/var/lib/corral/%s", "mk2")));
	assert_false(cr_intent_exists("mk2"));
}

static void mkwpar_killed_after_its_spec_is_kept(void **state)
{
	(void)state;
	record("mk3", CR_INTENT_CREATE, true);
	make_root_part("mk3", true);
	write_spec("mk3");
	assert_int_equal(take_lock("mk3"), CR_SETTLED_CREATED);
	assert_true(cr_registry_exists("mk3"));
	assert_true(cr_path_exists(at("/wpars/%s/etc/corral", "mk3")));
	assert_false(cr_intent_exists("mk3"));
}

static void killed_rmwpar_is_carried_through(void **state)
{
	(void)state;
	/* Killed after its rm -rf took /etc: the marker is gone, the record
	 * says the tree was proven a root part before. */
	make_root_part("rm1", false);
	write_spec("rm1");
	record("rm1", CR_INTENT_REMOVE, false);
	assert_int_equal(take_lock("rm1"), CR_SETTLED_REMOVED);
	assert_false(cr_path_exists(at("/wpars/%s", "rm1")));
	assert_false(cr_path_exists(at("/var/lib/corral/%s", "rm1")));
	assert_false(cr_registry_exists("rm1"));
	assert_false(cr_intent_exists("rm1"));
	struct cr_wpar w;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_registry_load("rm1", &w, &err), -ENOENT);
	cr_error_clear(&err);
}

static void load_and_list_settle_when_the_lock_is_free(void **state)
{
	(void)state;
	/* A half-removed partition is gone for cr_registry_load... */
	make_root_part("rm2", false);
	write_spec("rm2");
	record("rm2", CR_INTENT_REMOVE, false);
	struct cr_wpar w;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_registry_load("rm2", &w, &err), -ENOENT);
	cr_error_clear(&err);
	assert_false(cr_path_exists(at("/wpars/%s", "rm2")));
	/* ...and a half-made one for lswpar's walk, which never lists it. */
	record("mk4", CR_INTENT_CREATE, true);
	make_root_part("mk4", true);
	struct cr_wpar *list = NULL;
	size_t n = 0;
	assert_int_equal(cr_registry_list(&list, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(list[i].config.name, "mk4");
	cr_wpar_list_free(list, n);
	assert_false(cr_path_exists(at("/wpars/%s", "mk4")));
	assert_false(cr_intent_exists("mk4"));
}

static void a_command_at_work_is_left_alone(void **state)
{
	(void)state;
	/* The lock is held (by the command at work): its record stays. */
	record("mk5", CR_INTENT_CREATE, true);
	make_root_part("mk5", true);
	int held = open(at("/run/corral/%s.lock", "mk5"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);
	struct cr_wpar *list = NULL;
	size_t n = 0;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_registry_list(&list, &n, &err), 0);
	cr_wpar_list_free(list, n);
	assert_true(cr_intent_exists("mk5"));
	assert_true(cr_path_exists(at("/wpars/%s/etc/corral", "mk5")));
	close(held);
	assert_int_equal(take_lock("mk5"), CR_SETTLED_UNCREATED);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	setenv("CORRAL_ROOT", root, 1);
	return cr_mkdir_p(at("/run/corral%s", ""), 0700, NULL);
}

static int teardown(void **state)
{
	(void)state;
	return cr_rm_rf(root, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(intent_round_trip),
		cmocka_unit_test(killed_mkwpar_is_rolled_back),
		cmocka_unit_test(mkwpar_preserving_keeps_the_directory),
		cmocka_unit_test(mkwpar_killed_after_its_spec_is_kept),
		cmocka_unit_test(killed_rmwpar_is_carried_through),
		cmocka_unit_test(load_and_list_settle_when_the_lock_is_free),
		cmocka_unit_test(a_command_at_work_is_left_alone),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
