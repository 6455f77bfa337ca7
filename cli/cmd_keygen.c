/* corral keygen [--force] [--hex]: make this host's X25519 key pair in
 * $ROOT/etc/corral/host.key (0600) and host.pub, and print the public key. */
#define LOG_PREFIX "keygen: "
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "crypto/crypto_hostkey.h"
#include "crypto/crypto_stream.h"
#include "util/cleanup.h"

int cmd_keygen(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"hex", no_argument, NULL, 'x'},
		{NULL, 0, NULL, 0},
	};
	bool force = false, hex = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "fx", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'x':
			hex = true;
			break;
		default:
			return cli_usage_error("keygen", v->usage, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("keygen", v->usage, "unexpected argument '%s'", argv[optind]);
	cleanup_free char *key = NULL, *pub = NULL;
	struct cr_host_keypair kp;
	int r = cr_hostkey_paths(&key, &pub, err);
	if (r == 0)
		r = cr_hostkey_generate(&kp, err);
	if (r == 0)
		r = cr_hostkey_save(&kp, key, pub, force, err);
	cr_memzero(kp.sk, sizeof(kp.sk));
	if (r < 0)
		return r;
	char text[CR_HOSTKEY_TEXT_MAX > 2 * CR_HOSTKEY_BYTES + 1 ? CR_HOSTKEY_TEXT_MAX
								   : 2 * CR_HOSTKEY_BYTES + 1];
	if (hex)
		cr_hostkey_to_hex(kp.pk, text);
	else
		cr_hostkey_to_base64(kp.pk, text);
	printf("%s\n", text);
	fprintf(stderr, "keygen: wrote %s and %s\n", key, pub);
	return 0;
}
