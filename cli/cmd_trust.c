/* corral trust NAME ADDR PUBKEY | --list | --remove NAME: the hosts whose
 * corrald may talk to this one ($ROOT/etc/corral/trusted-peers). PUBKEY is
 * the peer's host.pub text (base64 or hex) or the path of its host.pub. */
#define LOG_PREFIX "trust: "
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "crypto/crypto_hostkey.h"
#include "transport/trust.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static int parse_key(const char *arg, uint8_t pk[CR_HOSTKEY_BYTES], struct cr_error *err)
{
	if (cr_path_exists(arg) == 1)
		return cr_hostkey_load_public(arg, pk, err);
	return cr_hostkey_parse(arg, pk, err);
}

static int list(const struct cr_trust_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char b64[CR_HOSTKEY_TEXT_MAX];
		cr_hostkey_to_base64(l->peers[i].pk, b64);
		printf("%-16s %-24s %s\n", l->peers[i].name, l->peers[i].addr, b64);
	}
	return 0;
}

int cmd_trust(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	static const struct option opts[] = {
		{"list", no_argument, NULL, 'l'},
		{"remove", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	const char *usage = v->usage;
	bool do_list = false;
	const char *remove = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "lr:", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			do_list = true;
			break;
		case 'r':
			remove = optarg;
			break;
		default:
			return cli_usage_error("trust", usage, "unknown option");
		}
	}
	int nargs = argc - optind;
	if ((do_list || remove) && nargs != 0)
		return cli_usage_error("trust", usage, "unexpected argument '%s'", argv[optind]);
	if (do_list && remove)
		return cli_usage_error("trust", usage, "--list and --remove exclude each other");
	if (!do_list && !remove && nargs != 3)
		return cli_usage_error("trust", usage, "expected NAME ADDR PUBKEY");
	cleanup_free char *path = NULL;
	cleanup_trust_list struct cr_trust_list l = {NULL, 0};
	int r = cr_trust_path(&path, err);
	if (r == 0)
		r = cr_trust_load(path, &l, err);
	if (r < 0)
		return r;
	if (do_list)
		return list(&l);
	if (remove) {
		r = cr_trust_remove(&l, remove, err);
	} else {
		uint8_t pk[CR_HOSTKEY_BYTES];
		r = parse_key(argv[optind + 2], pk, err);
		if (r == 0)
			r = cr_trust_add(&l, argv[optind], argv[optind + 1], pk, err);
	}
	if (r == 0)
		r = cr_trust_save(path, &l, err);
	return r < 0 ? r : 0;
}
