#include "check/proc_text.h"

#include <stdlib.h>
#include <string.h>

bool cr_filesystems_has(const char *text, const char *fs)
{
	size_t fl = strlen(fs);
	if (!text || fl == 0)
		return false;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		const char *stop = end;
		while (stop > line && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
			stop--;
		const char *name = stop;
		while (name > line && name[-1] != ' ' && name[-1] != '\t')
			name--;
		if ((size_t)(stop - name) == fl && !memcmp(name, fs, fl))
			return true;
		line = *end ? end + 1 : end;
	}
	return false;
}

char *cr_first_line(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	size_t n = strcspn(text, "\n");
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r'))
		n--;
	return strndup(text, n);
}
