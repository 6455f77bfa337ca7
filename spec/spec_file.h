/* AIX-style partition specification files (mkwpar -f / -o, wpar-spec(5)):
 *
 *   general:
 *   	name = "wp13"
 *   	checkpointable = "yes"
 *
 *   mount:
 *   	directory = "/home"
 *   	vfs = "nfs"
 *
 * Stanzas general, network, mount, resources, security hold key = "value"
 * lines; each network and each mount stanza is one entry. The keys are the
 * ones of spec/attrs.h. Values may be unquoted or quoted with straight
 * quotes ("\"" and "\\" escape inside them) or with the typographic quotes of
 * web pages (“ ” ″). '#' starts a comment outside quotes. The AIX stanzas
 * route and device are accepted and ignored. A key given twice in one
 * stanza, or a second general:, resources: or security: stanza, is refused
 * with its line (never "the last wins"). Errors quote input cut and escaped
 * (util/escape.h). */
#ifndef CORRAL_SPEC_SPEC_FILE_H
#define CORRAL_SPEC_SPEC_FILE_H

#include <stddef.h>

#include "spec/config.h"
#include "util/error.h"

/* The largest spec file read, parsed or written, and the most network or
 * mount stanzas one file may hold (bounded memory for any input). */
#define CR_SPEC_MAX (1024 * 1024)
#define CR_SPEC_MAX_ENTRIES 1024
/* Room for the distinct keys of one stanza (Corral and AIX know about 20). */
#define CR_SPEC_MAX_KEYS 128

/* Parse LEN bytes of TEXT (any bytes; need not be NUL-terminated) into RET,
 * which is overwritten (not freed) on success and untouched on failure.
 * ORIGIN names the text in errors: "ORIGIN:LINE: message". Only syntax and
 * the values themselves are checked; call cr_config_complete and
 * cr_config_validate for the whole. */
int cr_spec_parse(const char *text, size_t len, const char *origin, struct cr_wpar_config *ret,
		  struct cr_error *err);

/* Read and parse the file at PATH (at most CR_SPEC_MAX bytes): a regular
 * file, or standard input when PATH is "-". A FIFO, device or directory is
 * refused at once, without waiting for a writer. */
int cr_spec_read_file(const char *path, struct cr_wpar_config *ret, struct cr_error *err);

/* Print CFG as a spec file (only values that differ from the defaults) into
 * a heap string *RET_TEXT. Fails with -EINVAL when a value cannot be written
 * (a control character, a name that breaks the rules) and -EFBIG when the
 * text would exceed the limits above. */
int cr_spec_write(const struct cr_wpar_config *cfg, char **ret_text, struct cr_error *err);

/* Write CFG to PATH atomically (mode 0644). */
int cr_spec_write_file(const char *path, const struct cr_wpar_config *cfg, struct cr_error *err);

#endif
