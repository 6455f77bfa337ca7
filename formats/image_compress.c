/* The one owner of liblz4. */
#include "formats/image_compress.h"

#include <limits.h>
#include <lz4.h>

size_t cr_compress_bound(size_t len)
{
	if (len > LZ4_MAX_INPUT_SIZE)
		return 0;
	return (size_t)LZ4_compressBound((int)len);
}

size_t cr_compress_block(const void *src, size_t len, void *dst, size_t cap)
{
	if (len == 0 || len > LZ4_MAX_INPUT_SIZE)
		return 0;
	/* Stop as soon as the block would not shrink. */
	int limit = (int)(len - 1 < cap ? len - 1 : cap);
	int n = LZ4_compress_default(src, dst, (int)len, limit);
	return n > 0 ? (size_t)n : 0;
}

int cr_decompress_block(const void *src, size_t len, void *dst, size_t raw_len)
{
	if (len > INT_MAX || raw_len > INT_MAX)
		return -1;
	int n = LZ4_decompress_safe(src, dst, (int)len, (int)raw_len);
	return n >= 0 && (size_t)n == raw_len ? 0 : -1;
}
