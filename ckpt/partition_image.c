#include "ckpt/partition_image.h"

#include <stdio.h>

#include "spec/spec_file.h"
#include "util/cleanup.h"

int cr_partition_image_write(const struct cr_wpar_config *cfg, const char *criu_dir, const char *rootfs_tar,
			     const char *criu_version, const char *criu_needs, const struct cr_image_io *out,
			     const struct cr_image_options *opts, uint64_t *ret_bytes, struct cr_error *err)
{
	cleanup_free char *spec = NULL;
	int r = cr_spec_write(cfg, &spec, err);
	if (r < 0)
		return r;
	struct cr_image_info info = {
		.partition = cfg->name,
		.spec_text = spec,
		.criu_version = criu_version,
		.criu_needs = criu_needs,
	};
	cleanup_image_writer struct cr_image_writer *w = NULL;
	if ((r = cr_image_writer_open(out, opts, &info, &w, err)) < 0 ||
	    (criu_dir && (r = cr_image_writer_add_dir_tree(w, CR_IMAGE_CRIU_DIR, criu_dir, err)) < 0) ||
	    (rootfs_tar && (r = cr_image_writer_add_file(w, CR_IMAGE_ROOTFS_ENTRY, rootfs_tar, err)) < 0) ||
	    (r = cr_image_writer_finish(w, err)) < 0)
		return r;
	*ret_bytes = cr_image_writer_bytes_written(w);
	return 0;
}
