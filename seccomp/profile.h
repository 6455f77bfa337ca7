/* The default profile's rules (seccomp/profile.c), read by the filter builder. */
#ifndef CORRAL_SECCOMP_PROFILE_H
#define CORRAL_SECCOMP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

enum cr_seccomp_match {
	CR_MATCH_ALWAYS,      /* every call is refused */
	CR_MATCH_NEWUSER,     /* only when argument 0 asks for CLONE_NEWUSER */
	CR_MATCH_PERSONALITY, /* only personalities other than Linux, Linux32, uname26 or the query */
};

struct cr_seccomp_rule {
	const char *name; /* as libseccomp and syscall(2) name it */
	const char *cap;  /* kept by the partition (privs): the call is allowed; NULL: never */
	enum cr_seccomp_match match;
	int error;        /* what the caller sees: EPERM, or ENOSYS where libc must fall back */
};

extern const struct cr_seccomp_rule cr_seccomp_rules[];
extern const size_t cr_seccomp_n_rules;

/* True when the comma- or space-separated LIST holds WORD (any case).
 * A capability also matches without its "cap_" prefix. */
bool cr_seccomp_listed(const char *list, const char *word);

#endif
