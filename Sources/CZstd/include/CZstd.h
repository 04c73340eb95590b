#ifndef SLUICE_CZSTD_H
#define SLUICE_CZSTD_H

#include <stddef.h>

/// 1 when libzstd.so.1 could be loaded (it is part of every Debian system: dpkg and apt use it).
int sluice_zstd_available(void);

/// Streaming decompression. Returns an opaque context or NULL.
void *sluice_zstd_dctx_create(void);
void sluice_zstd_dctx_free(void *ctx);

/// Decompresses from src[*src_pos..src_len) into dst[*dst_pos..dst_cap), advancing both positions.
/// Returns 0 when a frame is complete, a positive hint when more input or output is needed,
/// and -1 on a decoding error (the message is then available from sluice_zstd_last_error).
long sluice_zstd_decompress_stream(void *ctx, const void *src, size_t src_len, size_t *src_pos,
                                   void *dst, size_t dst_cap, size_t *dst_pos);

/// One-shot compression; returns the compressed size, or 0 on error.
size_t sluice_zstd_compress_bound(size_t src_len);
size_t sluice_zstd_compress(void *dst, size_t dst_cap, const void *src, size_t src_len, int level);

#endif
