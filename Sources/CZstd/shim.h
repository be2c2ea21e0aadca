#ifndef LOGPILOT_CZSTD_SHIM_H
#define LOGPILOT_CZSTD_SHIM_H
#include <zstd.h>

// ZSTD_CONTENTSIZE_UNKNOWN / ZSTD_CONTENTSIZE_ERROR are expression macros ((0ULL - 1), (0ULL - 2)) that Swift
// does not import: one wrapper each, so the Swift side compares against the library's own values.
static inline unsigned long long czstd_contentsize_unknown(void) { return ZSTD_CONTENTSIZE_UNKNOWN; }
static inline unsigned long long czstd_contentsize_error(void) { return ZSTD_CONTENTSIZE_ERROR; }

// ZSTD_isError returns `unsigned`; a Boolean wrapper keeps the Swift call sites plain.
static inline _Bool czstd_is_error(size_t code) { return ZSTD_isError(code) != 0; }
#endif
