#ifndef SLUICE_CCRC32C_H
#define SLUICE_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC-32C (Castagnoli) over `length` bytes. Start with crc = 0; the function applies
/// the standard pre- and post-inversion, so results chain: crc(a+b) == update(update(0,a),b).
uint32_t sluice_crc32c_update(uint32_t crc, const void *bytes, size_t length);

/// The portable slicing-by-8 implementation, exposed so tests and benchmarks can compare it with
/// the hardware path.
uint32_t sluice_crc32c_update_portable(uint32_t crc, const void *bytes, size_t length);

/// 1 when the SSE4.2 `crc32` instruction is used, 0 when the table is.
int sluice_crc32c_uses_hardware(void);

#endif
