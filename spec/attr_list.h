/* The list attributes of the security stanza (privs, syscalls) and AIX's
 * `-S privs+=a,b` / `-S privs-=a` edits of them. */
#ifndef CORRAL_SPEC_ATTR_LIST_H
#define CORRAL_SPEC_ATTR_LIST_H

#include "util/error.h"

/* Apply OP ('+': add the names not yet there, in order; '-': remove them)
 * with the comma-separated WORDS to the comma-separated list CURRENT (NULL:
 * empty). *RET_LIST gets the canonical result ("a,b", no spaces, no
 * repeats) or NULL when it is empty. -EINVAL for another OP or an empty
 * WORDS, -ENOMEM. */
int cr_list_edit(const char *current, char op, const char *words, char **ret_list,
		 struct cr_error *err);

#endif
