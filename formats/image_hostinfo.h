/* What an image records about the host that wrote it: name, kernel,
 * architecture and CPU features (a restore host compares them). */
#ifndef CORRAL_FORMATS_IMAGE_HOSTINFO_H
#define CORRAL_FORMATS_IMAGE_HOSTINFO_H

#include "formats/image_manifest.h"

/* Fill M's hostname, kernel, arch and cpu_features where they are NULL. */
int cr_image_probe_host(struct cr_image_manifest *m, struct cr_error *err);

/* Split a space-separated list into M's cpu_features. */
int cr_image_set_cpu_features(struct cr_image_manifest *m, const char *list,
			      struct cr_error *err);

/* Split a space-separated list into M's criu_needs. */
int cr_image_set_criu_needs(struct cr_image_manifest *m, const char *list, struct cr_error *err);

#endif
