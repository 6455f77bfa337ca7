/* lswpar's text forms: the default table, -M/-N/-D tables, -G/-R/-S/-T
 * paragraphs and the -L long form, on hand-built partitions. */
#include "test_listing_fixture.h"

#include <time.h>

static void three(struct cr_wpar *l)
{
	fx_wpar(&l[0], "app", CR_STATE_ACTIVE, CR_TYPE_APPLICATION);
	fx_wpar(&l[1], "database01", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	fx_wpar(&l[2], "web", CR_STATE_ACTIVE, CR_TYPE_SYSTEM);
	l[2].config.checkpointable = true;
}

static void default_table_pads_to_widest(void **state)
{
	(void)state;
	struct cr_wpar l[3];
	three(l);
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_TEXT);
	char *out = fx_print(l, 3, &o);
	assert_string_equal(out,
			    "Name        State  Type  Hostname    Directory\n"
			    "------------------------------------------------------\n"
			    "app         A      A     app         /wpars/app\n"
			    "database01  D      S     database01  /wpars/database01\n"
			    "web         A      S     web         /wpars/web\n");
	free(out);
	fx_free(l, 3);
}

static void quiet_table_has_no_header(void **state)
{
	(void)state;
	struct cr_wpar l[3];
	three(l);
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_TEXT);
	o.no_header = true;
	o.states = "D";
	char *out = fx_print(l, 3, &o);
	assert_string_equal(out, "database01  D  S  database01  /wpars/database01\n");
	free(out);
	fx_free(l, 3);
}

static void filters_by_state_and_type(void **state)
{
	(void)state;
	struct cr_wpar l[3];
	three(l);
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_TEXT);
	o.no_header = true;
	o.states = "AB";
	assert_int_equal(cr_listing_parse_types("S", &o.types, NULL), 0);
	char *out = fx_print(l, 3, &o);
	assert_string_equal(out, "web  A  S  web  /wpars/web\n");
	free(out);
	/* C selects the checkpointable ones whatever their base type. */
	o.states = NULL;
	assert_int_equal(cr_listing_parse_types("AC", &o.types, NULL), 0);
	out = fx_squeeze(fx_print(l, 3, &o));
	assert_string_equal(out, "app A A app /wpars/app\nweb A S web /wpars/web\n");
	free(out);
	fx_free(l, 3);
}

static void nothing_matching_prints_nothing(void **state)
{
	(void)state;
	struct cr_wpar l[3];
	three(l);
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_TEXT);
	o.states = "F";
	char *out = fx_print(l, 3, &o);
	assert_string_equal(out, "");
	free(out);
	out = fx_print(NULL, 0, &o);
	assert_string_equal(out, "");
	free(out);
	fx_free(l, 3);
}

static void selected_columns_in_table(void **state)
{
	(void)state;
	struct cr_wpar l[3];
	three(l);
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_TEXT);
	assert_int_equal(cr_listing_parse_fields(&o, "NAME,checkpointable", NULL), 0);
	char *out = fx_print(l, 3, &o);
	assert_string_equal(out,
			    "Name        Checkpointable\n"
			    "--------------------------\n"
			    "app         no\n"
			    "database01  no\n"
			    "web         yes\n");
	free(out);
	fx_free(l, 3);
}

static void utf8_values_align_by_characters(void **state)
{
	(void)state;
	struct cr_wpar l[2];
	fx_wpar(&l[0], "a", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	l[0].config.script = fx_dup("/srv/caf\xc3\xa9.sh");
	fx_wpar(&l[1], "b", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	l[1].config.script = fx_dup("/srv/cafe.sh");
	struct cr_listing_opts o = fx_opts(CR_LIST_TABLE, CR_FORMAT_TEXT);
	assert_int_equal(cr_listing_parse_fields(&o, "script,name", NULL), 0);
	char *out = fx_print(l, 2, &o);
	assert_string_equal(out,
			    "Start/Stop Script  Name\n"
			    "-----------------------\n"
			    "/srv/caf\xc3\xa9.sh       a\n"
			    "/srv/cafe.sh       b\n");
	free(out);
	fx_free(l, 2);
}

static void mounts_of_a_system_partition(void **state)
{
	(void)state;
	struct cr_wpar w;
	fx_wpar(&w, "web", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	fx_mount(&w, "/home", "nfs", "/export/home", "nfs1", "bg,intr");
	fx_mount(&w, "/data", "tmpfs", NULL, NULL, NULL);
	struct cr_listing_opts o = fx_opts(CR_LIST_MOUNTS, CR_FORMAT_TEXT);
	char *out = fx_print(&w, 1, &o);
	assert_string_equal(out,
		"Name  MountPoint       Device          Vfs        Nodename  Options\n"
		"-------------------------------------------------------------------\n"
		"web   /wpars/web       /wpars/web      directory\n"
		"web   /wpars/web/data  tmpfs           tmpfs\n"
		"web   /wpars/web/home  /export/home    nfs        nfs1      bg,intr\n"
		"web   /wpars/web/opt   /opt            namefs               ro\n"
		"web   /wpars/web/proc  proc            proc                 rw\n"
		"web   /wpars/web/tmp   /wpars/web/tmp  directory\n"
		"web   /wpars/web/usr   /usr            namefs               ro\n"
		"web   /wpars/web/var   /wpars/web/var  directory\n");
	free(out);
	fx_free(&w, 1);
}

static void private_usr_and_application_mounts(void **state)
{
	(void)state;
	struct cr_wpar l[2];
	fx_wpar(&l[0], "app", CR_STATE_ACTIVE, CR_TYPE_APPLICATION);
	fx_mount(&l[0], "/scratch", "bind", "/srv/scratch", NULL, "rw");
	fx_wpar(&l[1], "priv", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	l[1].config.private_usr = true;
	struct cr_listing_opts o = fx_opts(CR_LIST_MOUNTS, CR_FORMAT_TEXT);
	o.no_header = true;
	char *out = fx_squeeze(fx_print(l, 2, &o));
	/* An application partition shares the host's file systems: only its
	 * own stanzas show; a private /usr is a directory of the partition. */
	assert_string_equal(out, "app /scratch /srv/scratch bind rw\n"
				 "priv /wpars/priv /wpars/priv directory\n"
				 "priv /wpars/priv/home /wpars/priv/home directory\n"
				 "priv /wpars/priv/opt /wpars/priv/opt directory\n"
				 "priv /wpars/priv/proc proc proc rw\n"
				 "priv /wpars/priv/tmp /wpars/priv/tmp directory\n"
				 "priv /wpars/priv/usr /wpars/priv/usr directory\n"
				 "priv /wpars/priv/var /wpars/priv/var directory\n");
	free(out);
	fx_free(l, 2);
}

static void add_netif(struct cr_wpar *w, const char *ifname, const char *a, const char *m,
		      const char *b, const char *a6, const char *p6)
{
	struct cr_netif *n = cr_config_add_netif(&w->config);
	assert_non_null(n);
	n->interface = fx_dup(ifname);
	n->address = a ? fx_dup(a) : NULL;
	n->netmask = m ? fx_dup(m) : NULL;
	n->broadcast = b ? fx_dup(b) : NULL;
	n->address6 = a6 ? fx_dup(a6) : NULL;
	n->prefixlen = p6 ? fx_dup(p6) : NULL;
}

static void network_rows_per_address(void **state)
{
	(void)state;
	struct cr_wpar l[2];
	fx_wpar(&l[0], "a", CR_STATE_ACTIVE, CR_TYPE_SYSTEM);
	add_netif(&l[0], "eth0", "10.0.0.5", "255.255.255.0", "10.0.0.255", "fd00::5", "64");
	fx_wpar(&l[1], "b", CR_STATE_ACTIVE, CR_TYPE_SYSTEM); /* no network: no rows */
	struct cr_listing_opts o = fx_opts(CR_LIST_NETWORK, CR_FORMAT_TEXT);
	char *out = fx_print(l, 2, &o);
	assert_string_equal(out,
			    "Name  Interface  Address(6)  Mask/Prefix    Broadcast\n"
			    "------------------------------------------------------\n"
			    "a     eth0       10.0.0.5    255.255.255.0  10.0.0.255\n"
			    "a     eth0       fd00::5     64\n");
	free(out);
	o.states = "D";
	out = fx_print(l, 2, &o);
	assert_string_equal(out, "");
	free(out);
	fx_free(l, 2);
}

static void devices_table(void **state)
{
	(void)state;
	struct cr_wpar w;
	fx_wpar(&w, "w", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	struct cr_listing_opts o = fx_opts(CR_LIST_DEVICES, CR_FORMAT_TEXT);
	char *out = fx_print(&w, 1, &o);
	fx_assert_line(out, "Name  Device Name   Type");
	fx_assert_line(out, "w     /dev/null     pseudo");
	fx_assert_line(out, "w     /dev/urandom  pseudo");
	fx_assert_line(out, "w     /dev/ptmx     clone");
	fx_assert_line(out, "w     /dev/pts      clone");
	free(out);
	fx_free(&w, 1);
}

static void resources_paragraph(void **state)
{
	(void)state;
	struct cr_wpar l[2];
	fx_wpar(&l[0], "plain", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	fx_wpar(&l[1], "tuned", CR_STATE_ACTIVE, CR_TYPE_SYSTEM);
	struct cr_resources *r = &l[1].config.resources;
	r->rset = fx_dup("0-1");
	r->cpu_shares = 20;
	r->cpu_min = 5, r->cpu_softmax = 50, r->cpu_hardmax = 75;
	r->memory_shares = 10;
	r->memory_hardmax = 60;
	r->memory_limit = 512LL << 20;
	r->proc_virt_mem = 1LL << 30;
	r->total_processes = 128;
	r->total_threads = 1000;
	struct cr_listing_opts o = fx_opts(CR_LIST_RESOURCES, CR_FORMAT_TEXT);
	char *out = fx_print(l, 2, &o);
	const char *expect =
		"=================================================================\n"
		"plain - Defined\n"
		"=================================================================\n"
		"Active:                           yes\n"
		"Resource Set:\n"
		"CPU Shares:                       unlimited\n"
		"CPU Limits:                       0%-100%,100%\n"
		"Memory Shares:                    unlimited\n"
		"Memory Limits:                    0%-100%,100%\n"
		"Memory Size Limit:                unlimited\n"
		"Per-Process Virtual Memory Limit: unlimited\n"
		"Total Processes:                  unlimited\n"
		"Total Threads:                    unlimited\n"
		"\n"
		"=================================================================\n"
		"tuned - Active\n"
		"=================================================================\n";
	assert_memory_equal(out, expect, strlen(expect));
	char *rest = fx_squeeze(out + strlen(expect));
	assert_string_equal(rest, "Active: yes\n"
				  "Resource Set: 0-1\n"
				  "CPU Shares: 20\n"
				  "CPU Limits: 5%-50%,75%\n"
				  "Memory Shares: 10\n"
				  "Memory Limits: 0%-100%,60%\n"
				  "Memory Size Limit: 512M\n"
				  "Per-Process Virtual Memory Limit: 1G\n"
				  "Total Processes: 128\n"
				  "Total Threads: 1000\n");
	free(out);
	fx_free(l, 2);
}

static void operation_paragraph_with_broken_reason(void **state)
{
	(void)state;
	struct cr_wpar l[2];
	fx_wpar(&l[0], "up", CR_STATE_ACTIVE, CR_TYPE_SYSTEM);
	l[0].state.init_pid = 4242;
	l[0].state.start_time = 1700000000;
	l[0].state.operation = fx_dup("start");
	fx_wpar(&l[1], "down", CR_STATE_BROKEN, CR_TYPE_SYSTEM);
	l[1].state.broken_reason = fx_dup("its monitor (pid 77) is gone\nreally");
	struct cr_listing_opts o = fx_opts(CR_LIST_OPERATION, CR_FORMAT_TEXT);
	char *out = fx_squeeze(fx_print(l, 2, &o));
	assert_non_null(strstr(out, "up - Active\n"
				    "=================================================================\n"
				    "Operation: start\n"
				    "Process ID: 4242\n"
				    "Start Time: Tue Nov 14 22:13:20 2023\n\n"));
	/* Control characters in a value cannot break the layout. */
	assert_non_null(strstr(out, "down - Broken\n"
				    "=================================================================\n"
				    "Operation: none\n"
				    "Process ID:\n"
				    "Start Time:\n"
				    "Broken reason: its monitor (pid 77) is gone?really\n"));
	free(out);
	fx_free(l, 2);
}

static void general_and_security_paragraphs(void **state)
{
	(void)state;
	struct cr_wpar w;
	fx_wpar(&w, "g", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	w.config.script = fx_dup("/etc/wpar-g.sh");
	w.config.autostart = true;
	w.config.security.privs = fx_dup("cap_net_admin,cap_sys_nice");
	struct cr_listing_opts o = fx_opts(CR_LIST_GENERAL, CR_FORMAT_TEXT);
	char *out = fx_print(&w, 1, &o);
	assert_string_equal(out,
			    "=================================================================\n"
			    "g - Defined\n"
			    "=================================================================\n"
			    "Type:              S\n"
			    "Owner:             root\n"
			    "Hostname:          g\n"
			    "Directory:         /wpars/g\n"
			    "Start/Stop Script: /etc/wpar-g.sh\n"
			    "Auto:              yes\n"
			    "Private /usr:      no\n"
			    "Checkpointable:    no\n");
	free(out);
	o.section = CR_LIST_SECURITY;
	out = fx_print(&w, 1, &o);
	fx_assert_line(out, "Privileges:           cap_net_admin,cap_sys_nice");
	fx_assert_line(out, "Allowed System Calls: default"); /* the filter's refusals all hold */
	free(out);
	fx_free(&w, 1);
}

static void long_form_has_every_section(void **state)
{
	(void)state;
	struct cr_wpar l[2];
	fx_wpar(&l[0], "MyTestWPAR1", CR_STATE_ACTIVE, CR_TYPE_SYSTEM);
	l[0].config.autostart = true;
	add_netif(&l[0], "eth0", "10.0.0.5", "255.255.255.0", "10.0.0.255", NULL, NULL);
	l[0].state.init_pid = 99;
	fx_wpar(&l[1], "second", CR_STATE_DEFINED, CR_TYPE_APPLICATION);
	struct cr_listing_opts o = fx_opts(CR_LIST_LONG, CR_FORMAT_TEXT);
	char *out = fx_print(l, 2, &o);
	const char *head = "=================================================================\n"
			   "MyTestWPAR1 - Active\n"
			   "=================================================================\n"
			   "GENERAL\n"
			   "Type:              S\n";
	assert_memory_equal(out, head, strlen(head));
	fx_squeeze(out);
	static const char *const lines[] = {
		"Auto: yes", "Checkpointable: no", "NETWORK",
		"Interface Address(6) Mask/Prefix Broadcast",
		"eth0 10.0.0.5 255.255.255.0 10.0.0.255", "FILE SYSTEMS",
		"MountPoint Device Vfs Nodename Options",
		"/wpars/MyTestWPAR1/usr /usr namefs ro", "RESOURCE CONTROLS", "Active: yes",
		"CPU Limits: 0%-100%,100%", "Total Threads: unlimited", "OPERATION",
		"Operation: none", "Process ID: 99", "SECURITY SETTINGS", "Privileges: default",
		"DEVICE EXPORTS", "Device Name Type", "/dev/console pseudo", "second - Defined",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		fx_assert_line(out, lines[i]);
	/* Sections come in AIX's order, the application partition's file
	 * system table is empty but still has its heading. */
	const char *order[] = {"GENERAL", "NETWORK", "FILE SYSTEMS", "RESOURCE CONTROLS",
			       "OPERATION", "SECURITY SETTINGS", "DEVICE EXPORTS", "second - Defined"};
	const char *p = out;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		p = strstr(p, order[i]);
		assert_non_null(p);
	}
	assert_non_null(strstr(p, "FILE SYSTEMS\nMountPoint Device Vfs Nodename Options\n"
				  "------------------------------------------\n\nRESOURCE"));
	assert_null(strstr(out, "Broken reason"));
	free(out);
	fx_free(l, 2);
}

static void write_failure_is_reported(void **state)
{
	(void)state;
	struct cr_wpar w;
	fx_wpar(&w, "w", CR_STATE_DEFINED, CR_TYPE_SYSTEM);
	struct cr_listing_opts o = fx_opts(CR_LIST_LONG, CR_FORMAT_TEXT);
	FILE *f = fopen("/dev/full", "we");
	if (!f) {
		fx_free(&w, 1);
		skip();
	}
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_listing_print(f, &w, 1, &o, &err), -ENOSPC);
	assert_non_null(strstr(cr_error_msg(&err), "cannot write the partition listing"));
	cr_error_clear(&err);
	fclose(f);
	fx_free(&w, 1);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_table_pads_to_widest),
		cmocka_unit_test(quiet_table_has_no_header),
		cmocka_unit_test(filters_by_state_and_type),
		cmocka_unit_test(nothing_matching_prints_nothing),
		cmocka_unit_test(selected_columns_in_table),
		cmocka_unit_test(utf8_values_align_by_characters),
		cmocka_unit_test(mounts_of_a_system_partition),
		cmocka_unit_test(private_usr_and_application_mounts),
		cmocka_unit_test(network_rows_per_address),
		cmocka_unit_test(devices_table),
		cmocka_unit_test(resources_paragraph),
		cmocka_unit_test(operation_paragraph_with_broken_reason),
		cmocka_unit_test(general_and_security_paragraphs),
		cmocka_unit_test(long_form_has_every_section),
		cmocka_unit_test(write_failure_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
