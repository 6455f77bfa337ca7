/* Reading and writing small secret files (key files, host private keys):
 * refused when group or others may read them; written 0600 atomically. */
#ifndef CORRAL_CRYPTO_CRYPTO_SECRET_FILE_H
#define CORRAL_CRYPTO_CRYPTO_SECRET_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Read PATH into BUF: it must be a regular file of MIN..MAX bytes, mode
 * without group/other bits. */
int cr_secret_file_read(const char *path, uint8_t *buf, size_t min, size_t max,
			size_t *ret_len, struct cr_error *err);

/* Write DATA to PATH with mode 0600; an existing PATH is replaced only when
 * REPLACE is set (else -EEXIST). */
int cr_secret_file_write(const char *path, const void *data, size_t len, bool replace,
			 struct cr_error *err);

#endif
