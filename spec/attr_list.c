/* Editing comma-separated attribute lists: `privs+=cap_sys_time`,
 * `syscalls-=keyctl` (AIX's mkwpar/chwpar -S syntax). */
#define LOG_PREFIX "attrs: "
#include "spec/attr_list.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#define SEPARATORS ", \t"

static bool has_word(const char *list, const char *word, size_t len)
{
	for (const char *p = list; *p;) {
		p += strspn(p, SEPARATORS);
		size_t n = strcspn(p, SEPARATORS);
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n;
	}
	return false;
}

/* Append WORD (LEN bytes) to the canonical list in OUT (room for it). */
static void append(char *out, const char *word, size_t len)
{
	size_t used = strlen(out);
	if (used)
		out[used++] = ',';
	memcpy(out + used, word, len);
	out[used + len] = '\0';
}

int cr_list_edit(const char *current, char op, const char *words, char **ret_list,
		 struct cr_error *err)
{
	if (op != '+' && op != '-')
		return cr_error_set(err, EINVAL, "unknown list operation '%c='", op);
	if (!words || !words[strspn(words, SEPARATORS)])
		return cr_error_set(err, EINVAL, "'%c=' needs at least one name", op);
	const char *cur = current ? current : "";
	cleanup_free char *out = malloc(strlen(cur) + strlen(words) + 2);
	if (!out)
		return cr_error_set(err, ENOMEM, "out of memory");
	out[0] = '\0';
	for (const char *p = cur; *p;) {
		p += strspn(p, SEPARATORS);
		size_t n = strcspn(p, SEPARATORS);
		if (n && !has_word(out, p, n) && !(op == '-' && has_word(words, p, n)))
			append(out, p, n);
		p += n;
	}
	for (const char *p = words; op == '+' && *p;) {
		p += strspn(p, SEPARATORS);
		size_t n = strcspn(p, SEPARATORS);
		if (n && !has_word(out, p, n))
			append(out, p, n);
		p += n;
	}
	*ret_list = out[0] ? cr_steal_pointer(&out) : NULL;
	return 0;
}
