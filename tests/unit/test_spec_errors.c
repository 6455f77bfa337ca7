/* Every rejection the spec parser makes, each with its message
 * ("FILE:LINE: message"), and that a failed parse leaves nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/spec.h"

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
	rejects("general:\nscript = \"a\tb\"\n",
		"t.spec:2: invalid value 'a\tb' for script: control characters are not allowed");
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
