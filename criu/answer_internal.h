/* What the CRIU worker tells its caller: records on its result pipe (the
 * answer, and a restore's root pid as soon as criu knows it), and the tail of
 * what it and criu printed. Used by criu/worker.c only. */
#ifndef CORRAL_CRIU_ANSWER_INTERNAL_H
#define CORRAL_CRIU_ANSWER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CR_CRIU_ANSWER_MAX (64 * 1024) /* bytes of records kept, at most */
#define CR_CRIU_OUTPUT_TAIL 2048       /* the last bytes printed that are kept */

/* RESULT: the answer; ROOT_PID: a restore's root; SWRK_PID: a criu swrk
 * started ahead waits for its request (code: its start, ms since boot). */
enum cr_criu_record_type { CR_CRIU_REC_RESULT = 1, CR_CRIU_REC_ROOT_PID = 2, CR_CRIU_REC_SWRK_PID = 3 };

/* One record, followed by msg_len bytes of message. */
struct cr_criu_record {
	int32_t type;
	int32_t value;
	int32_t code;
	uint32_t msg_len;
};

/* In the worker: write a record with MSG (may be NULL) to FD. */
void cr_criu_answer_write(int fd, int32_t type, int32_t value, int32_t code, const char *msg);

/* In the caller: what was read so far. */
struct cr_criu_answer {
	char *records; /* heap */
	size_t records_len;
	char out[CR_CRIU_OUTPUT_TAIL + 1];
	size_t out_len;
};

/* Read what is on the result pipe FD: 1 at its end, 0 otherwise. */
int cr_criu_answer_read_records(int fd, struct cr_criu_answer *a);

/* Keep the tail of what is on the output pipe FD: 1 at its end, 0 when
 * something was read, -1 when nothing was there. */
int cr_criu_answer_read_output(int fd, struct cr_criu_answer *a);

/* The last complete record of TYPE, and its message (not NUL-terminated). */
bool cr_criu_answer_find(const struct cr_criu_answer *a, int32_t type,
			 struct cr_criu_record *ret, const char **ret_msg);

/* The last few non-empty lines printed, joined by " | " (rewrites A's
 * output buffer); NULL when nothing was printed. */
const char *cr_criu_answer_output_tail(struct cr_criu_answer *a);

void cr_criu_answer_free(struct cr_criu_answer *a);

#endif
