/* The CRIU worker's answer: a record stream on one pipe, and the tail of
 * what libcriu and criu (before its log is open) print on another. */
#include "criu/answer_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUTPUT_LINES 3 /* lines of output quoted in errors */

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

void cr_criu_answer_write(int fd, int32_t type, int32_t value, int32_t code, const char *msg)
{
	struct cr_criu_record rec = {
		.type = type,
		.value = value,
		.code = code,
		.msg_len = msg ? (uint32_t)strnlen(msg, CR_CRIU_ANSWER_MAX / 2) : 0,
	};
	write_all(fd, &rec, sizeof(rec));
	if (rec.msg_len)
		write_all(fd, msg, rec.msg_len);
}

int cr_criu_answer_read_records(int fd, struct cr_criu_answer *a)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	if (a->records_len + (size_t)n > CR_CRIU_ANSWER_MAX)
		return 0; /* a worker sends a few small records: drop the excess */
	char *grown = realloc(a->records, a->records_len + (size_t)n);
	if (!grown)
		return 0;
	memcpy(grown + a->records_len, buf, (size_t)n);
	a->records = grown;
	a->records_len += (size_t)n;
	return 0;
}

int cr_criu_answer_read_output(int fd, struct cr_criu_answer *a)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? -1 : 1;
	if (n == 0)
		return 1;
	size_t take = (size_t)n > CR_CRIU_OUTPUT_TAIL ? CR_CRIU_OUTPUT_TAIL : (size_t)n;
	const char *src = buf + n - take;
	if (a->out_len + take > CR_CRIU_OUTPUT_TAIL) {
		size_t drop = a->out_len + take - CR_CRIU_OUTPUT_TAIL;
		memmove(a->out, a->out + drop, a->out_len - drop);
		a->out_len -= drop;
	}
	memcpy(a->out + a->out_len, src, take);
	a->out_len += take;
	a->out[a->out_len] = '\0';
	return 0;
}

bool cr_criu_answer_find(const struct cr_criu_answer *a, int32_t type,
			 struct cr_criu_record *ret, const char **ret_msg)
{
	bool found = false;
	size_t off = 0;
	while (a->records_len - off >= sizeof(struct cr_criu_record)) {
		struct cr_criu_record rec;
		memcpy(&rec, a->records + off, sizeof(rec));
		if (rec.msg_len > a->records_len - off - sizeof(rec))
			break;
		if (rec.type == type) {
			*ret = rec;
			*ret_msg = a->records + off + sizeof(rec);
			found = true;
		}
		off += sizeof(rec) + rec.msg_len;
	}
	return found;
}

const char *cr_criu_answer_output_tail(struct cr_criu_answer *a)
{
	const char *starts[OUTPUT_LINES] = {0};
	int taken = 0;
	char *save = NULL;
	for (char *l = strtok_r(a->out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!*l)
			continue;
		if (taken == OUTPUT_LINES) {
			memmove(starts, starts + 1, sizeof(starts[0]) * (OUTPUT_LINES - 1));
			taken--;
		}
		starts[taken++] = l;
	}
	if (taken == 0)
		return NULL;
	char lines[CR_CRIU_OUTPUT_TAIL + 1];
	size_t n = 0;
	for (int i = 0; i < taken && n < sizeof(lines); i++)
		n += (size_t)snprintf(lines + n, sizeof(lines) - n, "%s%s", i ? " | " : "",
				      starts[i]);
	if (n >= sizeof(lines))
		n = sizeof(lines) - 1;
	memcpy(a->out, lines, n);
	a->out[n] = '\0';
	a->out_len = n;
	return a->out;
}

void cr_criu_answer_free(struct cr_criu_answer *a)
{
	free(a->records);
	a->records = NULL;
	a->records_len = 0;
}
