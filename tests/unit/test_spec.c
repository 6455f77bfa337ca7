/* Spec files: the AIX article's example (curly and straight quotes), the
 * syntax, files on disk, and the writer's output format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/spec_file.h"
#include "util/cleanup.h"

static char *data_path(const char *name)
{
	const char *src = getenv("CORRAL_SOURCE_DIR");
	char *p = NULL;
	assert_true(asprintf(&p, "%s/tests/unit/data/%s", src ? src : ".", name) > 0);
	return p;
}

static void check_article(const struct cr_wpar_config *c)
{
	assert_string_equal(c->name, "wp13");
	assert_string_equal(c->hostname, "wp13");
	assert_string_equal(c->directory, "/WPARs/wp13");
	assert_string_equal(c->devices, "/etc/WPARs/devexports");
	assert_true(c->checkpointable);
	assert_false(c->preserve);
	assert_false(c->private_usr);
	assert_int_equal(c->n_netifs, 1);
	assert_string_equal(c->netifs[0].interface, "en0");
	assert_null(c->netifs[0].address); /* address = "" means not given */
	assert_null(c->netifs[0].netmask);
	assert_int_equal(c->n_mounts, 7);
	assert_string_equal(c->mounts[0].directory, "/");
	assert_string_equal(c->mounts[0].vfs, "nfs");
	assert_string_equal(c->mounts[0].host, "blue.ibm.com");
	assert_string_equal(c->mounts[0].dev, "/scratch/wp13root");
	assert_string_equal(c->mounts[0].mountopts, "bg,intr");
	assert_string_equal(c->mounts[3].directory, "/var");
	assert_string_equal(c->mounts[4].vfs, "namefs");
	assert_string_equal(c->mounts[4].dev, "/usr");
	assert_null(c->mounts[4].host);
	assert_string_equal(c->mounts[6].directory, "/opt");
	assert_string_equal(c->mounts[6].mountopts, "ro");
	assert_true(cr_config_find_mount(c, "/home") == &c->mounts[1]);
}

static void parse_article(const char *file)
{
	cleanup_free char *path = data_path(file);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_wpar_config c;
	int r = cr_spec_read_file(path, &c, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	check_article(&c);
	/* The article's network stanza has no address: mkwpar would resolve
	 * the name, Corral asks for one. Everything else is valid. */
	assert_int_equal(cr_config_validate(&c, &err), -EINVAL);
	assert_string_equal(err.msg, "wp13: network entry en0 has no address (address= netmask= "
				     "or address6= prefixlen=)");
	cr_config_remove_netif(&c, 0);
	assert_int_equal(cr_config_validate(&c, &err), 0);
	cr_config_free(&c);
	cr_error_clear(&err);
}

static void article_with_curly_quotes(void **state)
{
	(void)state;
	parse_article("aix-article.spec");
}

static void article_with_straight_quotes(void **state)
{
	(void)state;
	parse_article("aix-article-straight.spec");
}

static void article_round_trip(void **state)
{
	(void)state;
	cleanup_free char *path = data_path("aix-article.spec");
	struct cr_error err = CR_ERROR_INIT;
	struct cr_wpar_config a, b;
	assert_int_equal(cr_spec_read_file(path, &a, &err), 0);
	cleanup_free char *text = NULL;
	assert_int_equal(cr_spec_write(&a, &text, &err), 0);
	assert_int_equal(cr_spec_parse(text, strlen(text), "t", &b, &err), 0);
	assert_true(cr_config_equal(&a, &b));
	cr_config_free(&a);
	cr_config_free(&b);
}

/* The example of wpar-spec(5) is a complete, valid partition. */
static void man_page_example(void **state)
{
	(void)state;
	cleanup_free char *path = data_path("man-example.spec");
	struct cr_error err = CR_ERROR_INIT;
	struct cr_wpar_config c;
	assert_int_equal(cr_spec_read_file(path, &c, &err), 0);
	assert_int_equal(cr_config_complete(&c, &err), 0);
	if (cr_config_validate(&c, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.n_mounts, 2);
	assert_int_equal(c.resources.memory_limit, 512LL << 20);
	assert_int_equal(c.resources.cpu_hardmax, 80);
	cr_config_free(&c);
}

static void parse_ok(const char *text, struct cr_wpar_config *ret)
{
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_spec_parse(text, strlen(text), "t.spec", ret, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
}

static void syntax_variants(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	parse_ok("# comment\r\n"
		 "  general:   # trailing comment\r\n"
		 "name=web\n"
		 "\thostname   =   web.example.com   # unquoted, comment cut\n"
		 "script = \"/etc/a \\\"b\\\" \\\\c # not a comment\"\n"
		 "AUTO = TRUE\n"
		 "owner = \xc2\xa0\"alice\"\n"
		 "ostype = \"0\"\n"
		 "route:\n"
		 "rtdest = \"default\"\n"
		 "device:\n"
		 "devname = \"/dev/null\"\n"
		 "resources:\n"
		 "SHARES_cpu = 10",
		 &c);
	assert_string_equal(c.name, "web");
	assert_string_equal(c.hostname, "web.example.com");
	assert_string_equal(c.script, "/etc/a \"b\" \\c # not a comment");
	assert_true(c.autostart);
	assert_string_equal(c.owner, "alice");
	assert_int_equal(c.resources.cpu_shares, 10);
	cr_config_free(&c);

	/* Empty text is an empty configuration; no NUL terminator needed. */
	parse_ok("", &c);
	assert_null(c.name);
	cr_config_free(&c);
	struct cr_error err = CR_ERROR_INIT;
	const char buf[] = {'g', 'e', 'n', 'e', 'r', 'a', 'l', ':', '\n', 'n', 'a', 'm', 'e', '=', 'x', 'y'};
	assert_int_equal(cr_spec_parse(buf, sizeof(buf) - 1, "b", &c, &err), 0);
	assert_string_equal(c.name, "x");
	cr_config_free(&c);
	/* An empty value at the very end of the text (found by fuzz_spec). */
	assert_int_equal(cr_spec_parse("general:\nscript =", 17, "b", &c, &err), 0);
	assert_null(c.script);
	cr_config_free(&c);
}

static void writer_format(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	parse_ok("general:\nname = web\ncheckpointable = yes\n"
		 "mount:\ndirectory = /home\nvfs = tmpfs\n"
		 "resources:\nCPU = 10%-50%,80%\nmemoryLimit = 512M\nprocVirtMem = 1GB\n",
		 &c);
	cleanup_free char *text = NULL;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_write(&c, &text, &err), 0);
	assert_string_equal(text, "# Corral partition specification, see wpar-spec(5).\n"
				  "general:\n"
				  "\tname = \"web\"\n"
				  "\tcheckpointable = \"yes\"\n"
				  "\n"
				  "mount:\n"
				  "\tdirectory = \"/home\"\n"
				  "\tvfs = \"tmpfs\"\n"
				  "\n"
				  "resources:\n"
				  "\tCPU = \"10%-50%,80%\"\n"
				  "\tmemoryLimit = \"512M\"\n"
				  "\tprocVirtMem = \"1GB\"\n");
	cr_config_free(&c);
}

static void writer_refuses_what_it_cannot_write(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	cr_config_init(&c);
	c.name = strdup("web");
	c.script = strdup("/x\n\tname = \"evil\"");
	char *text = NULL;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_write(&c, &text, &err), -EINVAL);
	assert_null(text);
	assert_string_equal(err.msg,
			    "cannot write the spec of web: general attribute script holds a "
			    "control character");
	free(c.script);
	c.script = NULL;
	c.resources.cpu_min = 60;
	c.resources.cpu_hardmax = 50;
	assert_int_equal(cr_spec_write(&c, &text, &err), -EINVAL);
	assert_string_equal(err.msg, "cannot write the spec of web: generated spec:6: invalid "
				     "value '60%,50%' for CPU: CPU minimum 60% is above the hard "
				     "maximum 50%");
	c.resources.cpu_min = CR_UNSET;
	/* Text past the size limit is refused rather than written unreadable. */
	c.script = malloc(CR_SPEC_MAX);
	assert_non_null(c.script);
	memset(c.script, '"', CR_SPEC_MAX - 1); /* each becomes \" */
	c.script[CR_SPEC_MAX - 1] = '\0';
	assert_int_equal(cr_spec_write(&c, &text, &err), -EFBIG);
	assert_string_equal(err.msg, "cannot write the spec of web: generated spec: larger than "
				     "1048576 bytes");
	assert_null(text);
	cr_config_free(&c);
	cr_error_clear(&err);
}

static void file_write_and_read(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_spec.XXXXXX";
	assert_non_null(mkdtemp(dir));
	cleanup_free char *path = NULL;
	assert_true(asprintf(&path, "%s/web.spec", dir) > 0);
	struct cr_wpar_config a, b;
	parse_ok("general:\nname = web\nnetwork:\ninterface = veth0\naddress = 10.1.2.3\n"
		 "netmask = 255.255.255.0\n",
		 &a);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_write_file(path, &a, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* a refused configuration leaves the file as it was */
	a.resources.cpu_min = 90;
	a.resources.cpu_softmax = 10;
	assert_int_equal(cr_spec_write_file(path, &a, &err), -EINVAL);
	a.resources.cpu_min = a.resources.cpu_softmax = CR_UNSET;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 0);
	assert_int_equal(cr_spec_read_file(path, &b, &err), 0);
	assert_true(cr_config_equal(&a, &b));
	cr_config_free(&a);
	cr_config_free(&b);
	unlink(path);
	rmdir(dir);

	/* A missing file names itself. */
	assert_int_equal(cr_spec_read_file("/nonexistent/x.spec", &a, &err), -ENOENT);
	assert_string_equal(err.msg, "cannot open /nonexistent/x.spec: No such file or directory");
	cr_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(article_with_curly_quotes),
		cmocka_unit_test(article_with_straight_quotes),
		cmocka_unit_test(article_round_trip),
		cmocka_unit_test(man_page_example),
		cmocka_unit_test(syntax_variants),
		cmocka_unit_test(writer_format),
		cmocka_unit_test(writer_refuses_what_it_cannot_write),
		cmocka_unit_test(file_write_and_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
