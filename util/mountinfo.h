/* Reading /proc/self/mountinfo (proc(5)): the fields it escapes. */
#ifndef CORRAL_UTIL_MOUNTINFO_H
#define CORRAL_UTIL_MOUNTINFO_H

/* Undo in place the octal escapes mountinfo writes in a mount point, a root
 * or a source: \040 space, \011 tab, \012 newline, \134 backslash (any \ooo
 * up to \377). A backslash not followed by three such digits (a lone
 * one, a truncated escape) is kept as it is. */
void cr_mountinfo_unescape(char *s);

#endif
