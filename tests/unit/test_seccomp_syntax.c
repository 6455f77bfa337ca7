/* mkwpar/chwpar -S: the security stanza's lists (privs, syscalls), AIX's
 * `privs+=a,b` / `privs-=a` edits of them, the check that a relaxed call is
 * one the partition filter refuses, the spec-file round trip of
 * `syscalls = ...`, and that the filter really refuses and relaxes (in a
 * child, so this test stays unfiltered). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "partition/caps.h"
#include "seccomp/filter.h"
#include "spec/attr_list.h"
#include "spec/attrs.h"
#include "spec/spec_file.h"

#define WORDS(...) (char *[]){__VA_ARGS__}, sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)

static void edit_is(const char *current, char op, const char *words, const char *want)
{
	struct cr_error err = CR_ERROR_INIT;
	char *got = NULL;
	assert_int_equal(cr_list_edit(current, op, words, &got, &err), 0);
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

static void list_edits(void **state)
{
	(void)state;
	edit_is(NULL, '+', "keyctl,add_key", "keyctl,add_key");
	edit_is("keyctl", '+', "add_key, keyctl", "keyctl,add_key"); /* no repeats */
	edit_is("a, b,,c", '+', "d", "a,b,c,d");                      /* canonical */
	edit_is("keyctl,add_key", '-', "keyctl", "add_key");
	edit_is("keyctl", '-', "keyctl", NULL);                       /* empty: the default */
	edit_is("keyctl", '-', "bpf", "keyctl");                      /* absent: unchanged */
	struct cr_error err = CR_ERROR_INIT;
	char *got = NULL;
	assert_int_equal(cr_list_edit("a", '+', " , ", &got, &err), -EINVAL);
	assert_string_equal(err.msg, "'+=' needs at least one name");
	assert_null(got);
	cr_error_clear(&err);
	assert_int_equal(cr_list_edit("a", '*', "b", &got, &err), -EINVAL);
	cr_error_clear(&err);
}

static void apply_ok(struct cr_wpar_config *c, char **words, size_t n)
{
	struct cr_error err = CR_ERROR_INIT;
	if (cr_attrs_apply(c, "security", words, n, &err) < 0)
		fail_msg("%s", err.msg);
}

static void dash_s_words(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	cr_config_init(&c);
	apply_ok(&c, WORDS("syscalls+=keyctl,add_key"));
	assert_string_equal(c.security.syscalls, "keyctl,add_key");
	apply_ok(&c, WORDS("syscalls+=bpf", "privs+=cap_sys_time"));
	assert_string_equal(c.security.syscalls, "keyctl,add_key,bpf");
	assert_string_equal(c.security.privs, "cap_sys_time");
	apply_ok(&c, WORDS("syscalls-=keyctl,bpf"));
	assert_string_equal(c.security.syscalls, "add_key");
	apply_ok(&c, WORDS("syscalls=reboot"));
	assert_string_equal(c.security.syscalls, "reboot");
	apply_ok(&c, WORDS("syscalls-=reboot"));
	assert_null(c.security.syscalls);

	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_attrs_apply(&c, "security", WORDS("nosuch+=x"), &err), -ENOENT);
	assert_string_equal(err.msg, "unknown attribute 'nosuch' in security stanza");
	cr_error_clear(&err);
	assert_int_equal(cr_attrs_apply(&c, "general", WORDS("hostname+=x"), &err), -EINVAL);
	assert_string_equal(err.msg, "'hostname+=' edits a list: privs or syscalls of -S");
	cr_error_clear(&err);
	/* All or nothing: a bad word leaves the earlier ones unapplied. */
	assert_int_equal(cr_attrs_apply(&c, "security", WORDS("syscalls+=bpf", "privs+="), &err),
			 -EINVAL);
	assert_null(c.security.syscalls);
	cr_error_clear(&err);
	cr_config_free(&c);
}

static void only_refused_calls_relax(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_seccomp_validate_list("keyctl,add_key, bpf", &err), 0);
	assert_int_equal(cr_seccomp_validate_list(NULL, &err), 0);
	assert_int_equal(cr_seccomp_validate_list("keyctl,read", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'read' is not a system call the partition filter refuses"));
	cr_error_clear(&err);
	struct cr_security sec = {.privs = "cap_net_admin", .syscalls = "nosuchcall"};
	assert_int_equal(cr_caps_validate_security(&sec, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'nosuchcall'"));
	cr_error_clear(&err);
	sec.privs = "cap_nosuch";
	sec.syscalls = NULL;
	assert_int_equal(cr_caps_validate_security(&sec, &err), -EINVAL);
	cr_error_clear(&err);
	const char *cap = NULL;
	size_t n = 0;
	bool saw_keyctl = false;
	for (const char *name; (name = cr_seccomp_refused(n, &cap)); n++)
		saw_keyctl |= strcmp(name, "keyctl") == 0;
	assert_true(saw_keyctl);
	assert_true(n > 20);
}

static void spec_round_trip(void **state)
{
	(void)state;
	struct cr_wpar_config c, back;
	struct cr_error err = CR_ERROR_INIT;
	cr_config_init(&c);
	cr_config_init(&back);
	apply_ok(&c, WORDS("syscalls+=keyctl,add_key"));
	assert_int_equal(cr_attr_set(&c, CR_STANZA_GENERAL, "name", "web", &err), 0);
	char *text = NULL;
	if (cr_spec_write(&c, &text, &err) < 0)
		fail_msg("%s", err.msg);
	assert_non_null(strstr(text, "syscalls = \"keyctl,add_key\""));
	if (cr_spec_parse(text, strlen(text), "test.spec", &back, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(back.security.syscalls, "keyctl,add_key");
	free(text);
	cr_config_free(&c);
	cr_config_free(&back);
}

/* In a child: load the filter (with RELAX), then add_key into the child's
 * own process keyring. Returns the child's errno (0: allowed). */
static int add_key_errno(const char *relax)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct cr_error err = CR_ERROR_INIT;
		if (cr_seccomp_apply(NULL, relax, &err) < 0)
			_exit(200);
		long r = syscall(SYS_add_key, "user", "corral-unit-test", "x", 1, KEY_SPEC_PROCESS_KEYRING);
		_exit(r < 0 ? (errno & 0x7f) : 0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 200);
	return WEXITSTATUS(status);
}

static void filter_refuses_and_relaxes(void **state)
{
	(void)state;
	assert_int_equal(add_key_errno(NULL), EPERM);
	assert_int_equal(add_key_errno("add_key"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(list_edits),
		cmocka_unit_test(dash_s_words),
		cmocka_unit_test(only_refused_calls_relax),
		cmocka_unit_test(spec_round_trip),
		cmocka_unit_test(filter_refuses_and_relaxes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
