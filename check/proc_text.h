/* Small parsers of /proc text, kept apart so unit tests can feed them. */
#ifndef CORRAL_CHECK_PROC_TEXT_H
#define CORRAL_CHECK_PROC_TEXT_H

#include <stdbool.h>

/* True when the /proc/filesystems text TEXT lists file system FS
 * ("nodev\tnfs4" or "\text4"): the last field of a line equals FS. */
bool cr_filesystems_has(const char *text, const char *fs);

/* The first line of TEXT, trimmed of surrounding white space, into a heap
 * string; NULL when out of memory. */
char *cr_first_line(const char *text);

#endif
