/* parse(write(cfg)) == cfg for every field, with awkward values: quotes,
 * backslashes, '#', typographic quotes, partial percentage triples, sizes
 * that are not whole units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec_file.h"

static void round_trip(const struct cr_wpar_config *a)
{
	struct cr_error err = CR_ERROR_INIT;
	char *text = NULL;
	int r = cr_spec_write(a, &text, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	struct cr_wpar_config b;
	r = cr_spec_parse(text, strlen(text), "rt", &b, &err);
	if (r < 0)
		fail_msg("%s\n%s", err.msg, text);
	if (!cr_config_equal(a, &b))
		fail_msg("round trip differs:\n%s", text);
	/* and writing again gives the same text */
	char *again = NULL;
	assert_int_equal(cr_spec_write(&b, &again, &err), 0);
	assert_string_equal(text, again);
	free(text);
	free(again);
	cr_config_free(&b);
}

static char *s(const char *v)
{
	char *p = strdup(v);
	assert_non_null(p);
	return p;
}

static void every_field(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	cr_config_init(&c);
	c.name = s("web");
	c.hostname = s("web.example.com");
	c.directory = s("/srv/wpars/web");
	c.type = CR_TYPE_APPLICATION;
	c.checkpointable = c.autostart = c.private_usr = c.copy_name_resolution = c.preserve = true;
	c.script = s("/etc/\"odd\" \\path # with hash \xe2\x80\x9d" "curly\xe2\x80\x9d");
	c.devices = s("/etc/wpars/devexports");
	c.owner = s("alice");
	struct cr_mount *m = cr_config_add_mount(&c);
	m->directory = s("/");
	m->vfs = s("nfs");
	m->host = s("127.0.0.1");
	m->dev = s("/srv/nfs/web");
	m->mountopts = s("vers=3,port=20490");
	m = cr_config_add_mount(&c);
	m->directory = s("/data");
	m->vfs = s("bind");
	m->dev = s("/srv/data");
	struct cr_netif *n = cr_config_add_netif(&c);
	n->interface = s("veth0");
	n->address = s("10.0.0.5");
	n->netmask = s("255.255.255.0");
	n->broadcast = s("10.0.0.255");
	n->address6 = s("fd00::5");
	n->prefixlen = s("64");
	struct cr_resources *r = &c.resources;
	r->active = false;
	r->rset = s("0-1,3");
	r->cpu_shares = 65535;
	r->cpu_min = 0;
	r->cpu_softmax = 50;
	r->cpu_hardmax = 100;
	r->memory_shares = 1;
	r->memory_min = 10;
	r->memory_hardmax = 90;
	r->memory_limit = 3LL << 30;
	r->proc_virt_mem = 1536LL << 20;
	r->total_processes = 200;
	r->total_threads = INT64_MAX;
	c.security.privs = s("CAP_NET_ADMIN,CAP_SYS_TIME");
	round_trip(&c);

	/* Each field back to its default, one at a time. */
	c.resources.active = true;
	round_trip(&c);
	c.resources.memory_min = CR_UNSET; /* ",90%" */
	round_trip(&c);
	c.resources.cpu_min = CR_UNSET;
	c.resources.cpu_hardmax = CR_UNSET; /* "-50%" */
	round_trip(&c);
	c.resources.memory_limit = 12345; /* not a whole KiB */
	c.resources.proc_virt_mem = 4096; /* "4KB" */
	round_trip(&c);
	c.resources.proc_virt_mem = 7; /* "7B" */
	c.type = CR_TYPE_SYSTEM;
	round_trip(&c);
	cr_config_free(&c);
}

static void empty_and_minimal(void **state)
{
	(void)state;
	struct cr_wpar_config c;
	cr_config_init(&c);
	round_trip(&c); /* nothing set at all */
	c.name = s("a");
	round_trip(&c);
	/* entries that are empty still appear as entries */
	assert_non_null(cr_config_add_mount(&c));
	assert_non_null(cr_config_add_netif(&c));
	round_trip(&c);
	cr_config_free(&c);
}

static void article_round_trip_is_stable(void **state)
{
	(void)state;
	const char *src = getenv("CORRAL_SOURCE_DIR");
	char *path = NULL;
	assert_true(asprintf(&path, "%s/tests/unit/data/aix-article.spec", src ? src : ".") > 0);
	struct cr_wpar_config c;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_spec_read_file(path, &c, &err), 0);
	round_trip(&c);
	cr_config_free(&c);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field),
		cmocka_unit_test(empty_and_minimal),
		cmocka_unit_test(article_round_trip_is_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
