/* libFuzzer target for what CRIU sends Corral's image streamer
 * (stream/streamer_proto.h): length-prefixed requests, their protobuf and
 * file names, and the descriptor byte after each. Bytes arrive in pieces of
 * the sizes the input's first byte picks, with no descriptors: every input
 * must end in requests taken or a clean error, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream/streamer_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t piece = (size_t)data[0] % 64 + 1;
	struct cr_streamer_in in;
	cr_streamer_in_init(&in);
	struct cr_error err = CR_ERROR_INIT;
	char *name = NULL;
	for (size_t pos = 1; pos < size;) {
		size_t n = size - pos < piece ? size - pos : piece;
		if (n > sizeof(in.buf) - in.len)
			n = sizeof(in.buf) - in.len;
		if (n == 0)
			break;
		memcpy(in.buf + in.len, data + pos, n);
		in.len += n;
		pos += n;
		int r = 0;
		for (;;) {
			if (!name && (r = cr_streamer_take_request(&in, &name, &err)) <= 0)
				break;
			int fd = -1;
			if ((r = cr_streamer_take_fd(&in, &fd, &err)) <= 0)
				break;
			free(name);
			name = NULL;
		}
		if (r < 0)
			break;
	}
	free(name);
	name = NULL;
	if (cr_streamer_parse_request(data, size, &name, &err) == 0)
		free(name);
	cr_error_clear(&err);
	return 0;
}
