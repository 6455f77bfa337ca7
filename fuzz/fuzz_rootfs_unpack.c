/* Fuzz the unpack of a peer's file systems archive (partition/rootfs_unpack.c)
 * with any bytes, into a fresh directory under a private base directory:
 * whatever the bytes, nothing may appear in the base beside that directory
 * (a write outside it), and every refusal is one line. Run as root it also
 * makes device nodes and sets owners, as corrald does. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "partition/rootfs_unpack.h"
#include "util/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *base, *inside;

static void only_inside(void)
{
	DIR *d = opendir(base);
	if (!d)
		__builtin_trap();
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "in"))
			__builtin_trap(); /* written outside the directory */
	closedir(d);
}

static void remove_base(void)
{
	(void)cr_rm_rf(base, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base) {
		char tmpl[] = "/tmp/corral-fuzz-unpack-XXXXXX";
		if (!mkdtemp(tmpl) || asprintf(&inside, "%s/in", tmpl) < 0)
			__builtin_trap();
		base = strdup(tmpl);
		atexit(remove_base);
	}
	if (mkdir(inside, 0755) != 0)
		__builtin_trap();
	struct cr_error err = CR_ERROR_INIT;
	if (cr_rootfs_unpack_memory("fuzz", data, size, inside, 2000, &err) < 0) {
		const char *m = cr_error_msg(&err);
		if (strchr(m, '\n') || strlen(m) > 4096)
			__builtin_trap();
	}
	cr_error_clear(&err);
	only_inside();
	if (cr_rm_rf(inside, NULL) < 0)
		__builtin_trap();
	return 0;
}
