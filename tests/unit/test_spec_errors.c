/* Every rejection the spec parser makes, each with its message
 * ("FILE:LINE: message"), and that a failed parse leaves nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/spec_file.h"
#include "util/fsutil.h"

static void rejects_len(const char *text, size_t len, int code, const char *msg)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_wpar_config c;
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(cr_spec_parse(text, len, "t.spec", &c, &err), -code);
	assert_string_equal(err.msg, msg);
	/* RET is untouched on failure */
	for (size_t i = 0; i < sizeof(c); i++)
		assert_int_equal(((unsigned char *)&c)[i], 0x5a);
	cr_error_clear(&err);
}

static void rejects(const char *text, const char *msg)
{
	rejects_len(text, strlen(text), EINVAL, msg);
}

static void syntax_errors(void **state)
{
	(void)state;
	rejects("general:\nname = a\n= x\n", "t.spec:3: expected 'stanza:' or 'key = value'");
	rejects("\"name\" = \"a\"\n", "t.spec:1: expected 'stanza:' or 'key = value'");
	rejects("general: name = a\n", "t.spec:1: unexpected text after 'general:'");
	rejects("general:\nmounts:\n", "t.spec:2: unknown stanza 'mounts'");
	rejects("general:\nname a\n", "t.spec:2: expected '=' after 'name'");
	rejects("general:\nname\n", "t.spec:2: expected '=' after 'name'");
	rejects("general:\nname = \"web\n", "t.spec:2: unterminated quoted value");
	rejects("general:\nname = \xe2\x80\x9cweb\n", "t.spec:2: unterminated quoted value");
	rejects("general:\nname = \"web\\\"\n", "t.spec:2: unterminated quoted value");
	rejects("general:\nname = \"web\" x\n", "t.spec:2: unexpected text after the closing quote");
	rejects("general:\nname = \"web\"\"\"\n",
		"t.spec:2: unexpected text after the closing quote");
	rejects("name = \"web\"\n", "t.spec:1: attribute 'name' outside of a stanza (general:, "
				    "network:, mount:, resources:, security:)");
	rejects_len("general:\nna\0me = a\n", 19, EINVAL, "t.spec:2: NUL byte in line");
	/* The line is counted even after CR LF endings. */
	rejects_len("general:\r\n\r\nbogus = 1\r\n", 23, ENOENT,
		    "t.spec:3: unknown attribute 'bogus' in general stanza");
}

static void unknown_attributes(void **state)
{
	(void)state;
	rejects_len("general:\nbogus = 1\n", 19, ENOENT,
		    "t.spec:2: unknown attribute 'bogus' in general stanza");
	rejects_len("network:\nmtu = 1500\n", 20, ENOENT,
		    "t.spec:2: unknown attribute 'mtu' in network stanza");
	rejects_len("mount:\nfstype = x\n", 18, ENOENT,
		    "t.spec:2: unknown attribute 'fstype' in mount stanza");
	rejects_len("resources:\ncpu_shares = 1\n", 26, ENOENT,
		    "t.spec:2: unknown attribute 'cpu_shares' in resources stanza");
	rejects_len("security:\nname = x\n", 19, ENOENT,
		    "t.spec:2: unknown attribute 'name' in security stanza");
}

static void value_errors(void **state)
{
	(void)state;
	rejects("general:\nname = \"0web\"\n",
		"t.spec:2: invalid value '0web' for name: invalid partition name '0web': must not "
		"start with '0'");
	rejects("general:\nname = \"\"\n", "t.spec:2: invalid value '' for name: invalid "
					   "partition name '': a name needs 1 to 25 bytes");
	rejects("general:\ncheckpointable = maybe\n",
		"t.spec:2: invalid value 'maybe' for checkpointable: expected yes or no");
	rejects("general:\ntype = container\n",
		"t.spec:2: invalid value 'container' for type: expected system or application");
	/* A control character is shown escaped: the error stays on one line. */
	rejects("general:\nscript = \"a\tb\"\n",
		"t.spec:2: invalid value 'a\\tb' for script: control characters are not allowed");
	rejects("general:\nname = \"we\x01" "b\"\n",
		"t.spec:2: invalid value 'we\\x01b' for name: invalid partition name 'we\\x01b': "
		"control character at byte 3");
	rejects("resources:\nactive = 1\n", "t.spec:2: invalid value '1' for active: expected yes "
					    "or no");
	rejects("resources:\nshares_CPU = 0\n",
		"t.spec:2: invalid value '0' for shares_CPU: must be between 1 and 65535");
	rejects("resources:\nshares_memory = 65536\n",
		"t.spec:2: invalid value '65536' for shares_memory: must be between 1 and 65535");
	rejects("resources:\nshares_CPU = -1\n",
		"t.spec:2: invalid value '-1' for shares_CPU: expected a whole number");
	rejects("resources:\nshares_CPU = 99999999999999999999\n",
		"t.spec:2: invalid value '99999999999999999999' for shares_CPU: must be between 1 "
		"and 65535");
	rejects("resources:\nCPU = \"50%-10%,100%\"\n",
		"t.spec:2: invalid value '50%-10%,100%' for CPU: CPU minimum 50% is above the soft "
		"maximum 10%");
	rejects("resources:\nmemory = \"10%-20%,15%\"\n",
		"t.spec:2: invalid value '10%-20%,15%' for memory: memory soft maximum 20% is "
		"above the hard maximum 15%");
	rejects("resources:\nCPU = 101%\n",
		"t.spec:2: invalid value '101%' for CPU: percentage 101% is outside 0..100%");
	rejects("resources:\nCPU = 10.5%\n",
		"t.spec:2: invalid value '10.5%' for CPU: only whole percentages are supported");
	rejects("resources:\nCPU = 10%-\n",
		"t.spec:2: invalid value '10%-' for CPU: expected a percentage at ''");
	rejects("resources:\nCPU = 10%;20%\n",
		"t.spec:2: invalid value '10%;20%' for CPU: unexpected ';20%' (syntax: "
		"min%-softmax%,hardmax%)");
	rejects("resources:\nmemoryLimit = 512X\n",
		"t.spec:2: invalid value '512X' for memoryLimit: unknown unit 'X' (B, K, M, G or T)");
	rejects("resources:\nmemoryLimit = M\n",
		"t.spec:2: invalid value 'M' for memoryLimit: expected a size such as 512M or "
		"1024MB");
	rejects("resources:\nmemoryLimit = 0\n",
		"t.spec:2: invalid value '0' for memoryLimit: size must be positive");
	rejects("resources:\nprocVirtMem = 9000000000000TB\n",
		"t.spec:2: invalid value '9000000000000TB' for procVirtMem: size is too large");
	rejects("resources:\ntotalProcesses = 0\n",
		"t.spec:2: invalid value '0' for totalProcesses: must be between 1 and "
		"9223372036854775807");
	rejects("resources:\ntotalThreads = many\n",
		"t.spec:2: invalid value 'many' for totalThreads: expected a whole number");
}

static void too_large(void **state)
{
	(void)state;
	size_t len = CR_SPEC_MAX + 1;
	char *big = malloc(len);
	assert_non_null(big);
	memset(big, '#', len);
	rejects_len(big, len, EFBIG, "t.spec: larger than 1048576 bytes");
	/* exactly the limit is fine */
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_parse(big, CR_SPEC_MAX, "t.spec", &c, &err), 0);
	cr_config_free(&c);
	free(big);
}

static void too_many_entries(void **state)
{
	(void)state;
	const size_t max = CR_SPEC_MAX_ENTRIES;
	char *text = malloc(9 * (max + 1) + 1);
	assert_non_null(text);
	text[0] = '\0';
	for (size_t i = 0; i < max; i++)
		strcat(text + 9 * i, "network:\n");
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_parse(text, strlen(text), "t.spec", &c, &err), 0);
	assert_int_equal(c.n_netifs, max);
	cr_config_free(&c);
	strcat(text, "network:\n");
	rejects_len(text, strlen(text), EFBIG, "t.spec:1025: more than 1024 network stanzas");
	free(text);
}

static void failure_after_entries_frees_them(void **state)
{
	(void)state;
	/* ASan reports a leak if the mounts built before the error survive. */
	rejects("mount:\ndirectory = /a\nmount:\ndirectory = /b\nvfs = nfs\nhost = h\nbad\n",
		"t.spec:7: expected '=' after 'bad'");
}

static void ignored_aix_keys_and_stanzas(void **state)
{
	(void)state;
	const char *text = "general:\nname = w\nrouting = yes\nostype = 0\nxwparipc = no\n"
			   "architecture = none\nUUID = 1-2\n"
			   "ROUTE:\nrtdest = default\nanything = goes\n"
			   "device:\ndevname = /dev/x\n"
			   "mount:\ndirectory = /x\nlogname = INLINE\nsize = 1G\n"
			   "resources:\ntotalVirtMem = 2GB\npct_msgIDs = 10\n"
			   "security:\nsecfile = /etc/wpars/secattrs\n";
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_parse(text, strlen(text), "t", &c, &err), 0);
	assert_string_equal(c.name, "w");
	assert_int_equal(c.n_mounts, 1);
	assert_int_equal(c.n_netifs, 0);
	assert_null(c.security.privs);
	cr_config_free(&c);
}

/* A key given twice, or a single stanza given twice, is refused with its
 * line: the last value never silently wins. */
static void repeated_keys_and_stanzas(void **state)
{
	(void)state;
	rejects("general:\nname = a\nhostname = h\nname = b\n",
		"t.spec:4: 'name' is given twice in this stanza (first on line 2)");
	rejects("general:\nname = a\nNAME = b\n",
		"t.spec:3: 'NAME' is given twice in this stanza (first on line 2)");
	rejects("general:\nostype = 0\nostype = 0\n",
		"t.spec:3: 'ostype' is given twice in this stanza (first on line 2)");
	rejects("resources:\nmemoryLimit = 1G\n\nmemoryLimit = 2G\n",
		"t.spec:4: 'memoryLimit' is given twice in this stanza (first on line 2)");
	rejects("mount:\ndirectory = /a\ndirectory = /b\n",
		"t.spec:3: 'directory' is given twice in this stanza (first on line 2)");
	rejects("general:\nname = a\nresources:\nactive = yes\ngeneral:\nname = b\n",
		"t.spec:5: a second general: stanza (the first is on line 1; only mount: and "
		"network: stanzas repeat)");
	rejects("resources:\nresources:\n",
		"t.spec:2: a second resources: stanza (the first is on line 1; only mount: and "
		"network: stanzas repeat)");
	rejects("security:\nprivs = x\nsecurity:\n",
		"t.spec:3: a second security: stanza (the first is on line 1; only mount: and "
		"network: stanzas repeat)");
	/* Entries repeat, and the same key in two entries is two values. */
	const char *ok = "general:\nname = a\nmount:\ndirectory = /a\nmount:\ndirectory = /b\n"
			 "network:\ninterface = e0\nnetwork:\ninterface = e1\n"
			 "route:\nrtdest = x\nroute:\nrtdest = x\nrtdest = y\n";
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_parse(ok, strlen(ok), "t", &c, &err), 0);
	assert_int_equal(c.n_mounts, 2);
	assert_int_equal(c.n_netifs, 2);
	cr_config_free(&c);
}

/* A huge value or key is cut in the error, not echoed whole. */
static void long_input_is_cut(void **state)
{
	(void)state;
	size_t vlen = 100 * 1024;
	char *text = malloc(vlen + 64);
	assert_non_null(text);
	int n = snprintf(text, 64, "general:\ncheckpointable = ");
	memset(text + n, 'y', vlen);
	memcpy(text + n + vlen, "\n", 2);
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_parse(text, (size_t)n + vlen + 1, "t.spec", &c, &err), -EINVAL);
	assert_true(strlen(err.msg) < 200);
	char want[200];
	snprintf(want, sizeof(want), "t.spec:2: invalid value '%.64s...' for checkpointable: "
		 "expected yes or no", text + n);
	assert_string_equal(err.msg, want);
	cr_error_clear(&err);
	/* A key as long as the file, unknown. */
	n = snprintf(text, 64, "general:\n");
	memset(text + n, 'k', vlen);
	memcpy(text + n + vlen, " = 1\n", 5);
	assert_int_equal(cr_spec_parse(text, (size_t)n + vlen + 5, "t.spec", &c, &err), -ENOENT);
	assert_true(strlen(err.msg) < 200);
	assert_non_null(strstr(err.msg, "kkk...' in general stanza"));
	cr_error_clear(&err);
	free(text);
}

/* Spec files come from regular files only: a FIFO fails at once (it used
 * to block mkwpar -f forever), and so do a directory and a large file. */
static char spec_dir[] = "/tmp/corral-spec-test.XXXXXX";

static int make_spec_dir(void **state)
{
	(void)state;
	return mkdtemp(spec_dir) ? 0 : -1;
}

/* Runs whether the test passed or not. */
static int remove_spec_dir(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_rm_rf(spec_dir, &err);
	cr_error_clear(&err);
	return r;
}

static void reads_regular_files_only(void **state)
{
	(void)state;
	const char *dir = spec_dir;
	char fifo[64], big[64], good[64];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(big, sizeof(big), "%s/big.spec", dir);
	snprintf(good, sizeof(good), "%s/good.spec", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_read_file(fifo, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not a regular file"));
	cr_error_clear(&err);
	assert_int_equal(cr_spec_read_file(dir, &c, &err), -EINVAL);
	cr_error_clear(&err);
	assert_int_equal(cr_spec_read_file("/dev/zero", &c, &err), -EINVAL);
	cr_error_clear(&err);
	int fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, CR_SPEC_MAX + 1), 0);
	close(fd);
	assert_int_equal(cr_spec_read_file(big, &c, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "is larger than 1048576 bytes"));
	cr_error_clear(&err);
	fd = open(good, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "general:\nname = w\n", 18), 18);
	close(fd);
	assert_int_equal(cr_spec_read_file(good, &c, &err), 0);
	assert_string_equal(c.name, "w");
	cr_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syntax_errors),
		cmocka_unit_test(unknown_attributes),
		cmocka_unit_test(value_errors),
		cmocka_unit_test(too_large),
		cmocka_unit_test(too_many_entries),
		cmocka_unit_test(failure_after_entries_frees_them),
		cmocka_unit_test(ignored_aix_keys_and_stanzas),
		cmocka_unit_test(repeated_keys_and_stanzas),
		cmocka_unit_test(long_input_is_cut),
		cmocka_unit_test_setup_teardown(reads_regular_files_only, make_spec_dir,
						remove_spec_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
