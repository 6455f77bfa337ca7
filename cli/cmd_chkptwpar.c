/* chkptwpar: checkpoint a partition to one image file. */
#define LOG_PREFIX "chkptwpar: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "ckpt/checkpoint.h"
#include "crypto/crypto_hostkey.h"
#include "util/paths.h"

int cmd_chkptwpar(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	const char *prog = v->name, *usage = v->usage;
	struct cli_parsed p;
	int rc = cli_parse_options(prog, usage, "kpFd:o:l:K:s:v", argc, argv, &p);
	if (rc)
		return rc;
	char *output = NULL;
	uint8_t recipient[CR_HOSTKEY_BYTES];
	struct cr_checkpoint_request req = {.after = CR_AFTER_RESUME};
	const char *dir = cli_option_arg(&p, 'd'), *file = cli_option_arg(&p, 'o');
	const char *key_file = cli_option_arg(&p, 'K'), *seal_to = cli_option_arg(&p, 's');
	if (p.first_operand != argc - 1) {
		rc = cli_usage_error(prog, usage, "name exactly one partition");
		goto out;
	}
	req.name = argv[p.first_operand];
	if (cli_option_count(&p, 'k') && cli_option_count(&p, 'p')) {
		rc = cli_usage_error(prog, usage, "-k and -p exclude each other");
		goto out;
	}
	if (!dir == !file) {
		rc = cli_usage_error(prog, usage, "give one of -d directory or -o file");
		goto out;
	}
	if (key_file && seal_to) {
		rc = cli_usage_error(prog, usage, "-K and -s exclude each other");
		goto out;
	}
	struct stat st;
	if (dir && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		rc = cli_usage_error(prog, NULL, "the state directory %s does not exist", dir);
		goto out;
	}
	if (dir && cr_path_join(&output, dir, req.name, ".wpar", err) < 0)
		goto fail;
	if (!dir && !(output = strdup(file))) {
		rc = cli_usage_error(prog, NULL, "out of memory");
		goto out;
	}
	req.output = output;
	req.after = cli_option_count(&p, 'k') ? CR_AFTER_KILL : cli_option_count(&p, 'p') ? CR_AFTER_PAUSE : CR_AFTER_RESUME;
	req.force = cli_option_count(&p, 'F') > 0;
	req.log_copy = cli_option_arg(&p, 'l');
	if (key_file) {
		req.image.protection = CR_IMAGE_KEYFILE;
		req.image.key_file = key_file;
	} else if (seal_to) {
		/* -s: seal the image to a host's public key (corral keygen's host.pub). */
		if (cr_hostkey_load_public(seal_to, recipient, err) < 0)
			goto fail;
		req.image.protection = CR_IMAGE_SEALED;
		req.image.recipient_pk = recipient;
	}
	struct cr_checkpoint_report rep = {0};
	if (cr_partition_checkpoint(&req, &rep, err) < 0)
		goto fail;
	if (rep.ended)
		printf("%s: ended (they cannot be checkpointed): %s\n", prog, rep.ended);
	printf("Checkpoint of workload partition %s written to %s (%.1f MiB, %.2fx smaller than CRIU's images).\n",
	       req.name, req.output, rep.image_bytes / 1048576.0,
	       rep.image_bytes ? (double)rep.criu_bytes / (double)rep.image_bytes : 0.0);
	if (cli_option_count(&p, 'v'))
		printf("freeze %.1f ms, dump %.1f ms, write %.1f ms, frozen %.1f ms\n", rep.freeze_ns / 1e6,
		       rep.dump_ns / 1e6, rep.pack_ns / 1e6, rep.frozen_ns / 1e6);
	printf("Workload partition %s is %s.\n", req.name,
	       req.after == CR_AFTER_KILL ? "stopped" : req.after == CR_AFTER_PAUSE ? "paused" : "active");
	cr_checkpoint_report_free(&rep);
	goto out;
fail:
	rc = cli_failed(err);
out:
	free(output);
	cli_parsed_free(&p);
	return rc;
}
