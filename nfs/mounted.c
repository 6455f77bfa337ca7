/* What is mounted on a path now, from /proc/self/mountinfo. */
#define LOG_PREFIX "nfs: "
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfs/nfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/mountinfo.h"

#define MOUNTINFO_MAX (4u << 20)

/* The source of LINE when its mount point is PATH, else NULL. LINE is cut
 * in place: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS". */
static char *source_if_at(char *line, const char *path)
{
	char *save = NULL, *field = strtok_r(line, " ", &save);
	for (int i = 1; field && i < 5; i++)
		field = strtok_r(NULL, " ", &save);
	if (!field)
		return NULL;
	cr_mountinfo_unescape(field);
	if (strcmp(field, path) != 0)
		return NULL;
	while ((field = strtok_r(NULL, " ", &save)) && strcmp(field, "-") != 0)
		;
	if (!field || !strtok_r(NULL, " ", &save)) /* the file system type */
		return NULL;
	char *source = strtok_r(NULL, " ", &save);
	if (source)
		cr_mountinfo_unescape(source);
	return source;
}

int cr_nfs_mounted_source(const char *path, char **ret_source, struct cr_error *err)
{
	cleanup_free char *real = realpath(path, NULL);
	if (!real)
		return cr_error_errno(err, "cannot resolve %s", path);
	cleanup_free char *text = NULL;
	int r = cr_read_file("/proc/self/mountinfo", MOUNTINFO_MAX, &text, NULL, err);
	if (r < 0)
		return r;
	/* The last mount on PATH is the one that shows there. */
	const char *found = NULL;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *src = source_if_at(line, real);
		if (src)
			found = src;
	}
	if (!found)
		return 0;
	if (!(*ret_source = strdup(found)))
		return cr_error_set(err, ENOMEM, "out of memory");
	return 1;
}
