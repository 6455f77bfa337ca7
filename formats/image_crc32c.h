/* CRC32C (Castagnoli), hardware-accelerated with SSE4.2 where available. */
#ifndef CORRAL_FORMATS_IMAGE_CRC32C_H
#define CORRAL_FORMATS_IMAGE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue CRC (0 to start) over LEN bytes of DATA. */
uint32_t cr_crc32c(uint32_t crc, const void *data, size_t len);

#endif
