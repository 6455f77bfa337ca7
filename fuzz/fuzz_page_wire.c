/* CRIU page-server traffic as the page relays follow it (transport/
 * page_wire.c): two bytes (little-endian) give how many of the rest are
 * requests (the source reads them from the network), a third whether the
 * source's cap applies; the answers follow the requests, fed in pieces. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "transport/page_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	size_t rest = size - 3, split = ((size_t)data[0] | (size_t)data[1] << 8) % (rest + 1);
	const uint8_t *req = data + 3, *ans = data + 3 + split;
	size_t req_len = split, ans_len = rest - split;
	struct cr_page_wire w;
	cr_page_wire_init(&w, data[2] % 2 ? 16 : 0);
	struct cr_error err = CR_ERROR_INIT;
	uint8_t *out = malloc(req_len + CR_PAGE_WIRE_HDR);
	size_t n = 0;
	if (out && cr_page_wire_requests(&w, req, req_len, out, &n, &err) == 0) {
		for (size_t off = 0; off < ans_len; off += 37)
			if (cr_page_wire_answers(&w, ans + off, ans_len - off < 37 ? ans_len - off : 37, &err) < 0)
				break;
	}
	cr_error_clear(&err);
	free(out);
	return 0;
}
