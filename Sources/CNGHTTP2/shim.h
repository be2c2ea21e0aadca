/* CNGHTTP2: the system libnghttp2 (apt: libnghttp2-dev; pkg-config: libnghttp2).
 *
 * Used only by Sources/LogPilotGRPC/Transport/HTTP2Session.swift, the one Swift file with unsafe nghttp2 code.
 *
 * The `cnghttp2_*` wrappers hide the one API break that matters to us: nghttp2 1.61 added `*2` variants using
 * `nghttp2_ssize` (`nghttp2_session_mem_recv2`, `nghttp2_session_mem_send2`, `nghttp2_data_provider2`,
 * `nghttp2_submit_response2`) and deprecated the `ssize_t` ones. Debian 12 ships 1.52.0, which has only the old
 * ones. Both `ssize_t` and `nghttp2_ssize` import into Swift as `Int`, so the Swift code is the same on both. */
#ifndef CNGHTTP2_SHIM_H
#define CNGHTTP2_SHIM_H

#include <nghttp2/nghttp2.h>

#if NGHTTP2_VERSION_NUM >= 0x013d00 /* 1.61.0+: the nghttp2_ssize API */

/** The data source read callback type for `cnghttp2_submit_response` (its `source` argument is always NULL). */
typedef nghttp2_data_source_read_callback2 cnghttp2_data_source_read_callback;

static inline long cnghttp2_mem_recv(nghttp2_session *session, const uint8_t *in, size_t length) {
    return (long)nghttp2_session_mem_recv2(session, in, length);
}

static inline long cnghttp2_mem_send(nghttp2_session *session, const uint8_t **data) {
    return (long)nghttp2_session_mem_send2(session, data);
}

/** `nghttp2_submit_response` with a data provider whose source is NULL, or none (HEADERS with END_STREAM) when
 *  `read_callback` is NULL. Building the provider here keeps its C union out of Swift. */
static inline int cnghttp2_submit_response(nghttp2_session *session, int32_t stream_id, const nghttp2_nv *nva,
                                           size_t nvlen, cnghttp2_data_source_read_callback read_callback) {
    if (read_callback == NULL) {
        return nghttp2_submit_response2(session, stream_id, nva, nvlen, NULL);
    }
    nghttp2_data_provider2 provider;
    provider.source.ptr = NULL;
    provider.read_callback = read_callback;
    return nghttp2_submit_response2(session, stream_id, nva, nvlen, &provider);
}

#else /* up to 1.60 (Debian 12: 1.52.0): the ssize_t API */

/** The data source read callback type for `cnghttp2_submit_response` (its `source` argument is always NULL). */
typedef nghttp2_data_source_read_callback cnghttp2_data_source_read_callback;

static inline long cnghttp2_mem_recv(nghttp2_session *session, const uint8_t *in, size_t length) {
    return (long)nghttp2_session_mem_recv(session, in, length);
}

static inline long cnghttp2_mem_send(nghttp2_session *session, const uint8_t **data) {
    return (long)nghttp2_session_mem_send(session, data);
}

/** `nghttp2_submit_response` with a data provider whose source is NULL, or none (HEADERS with END_STREAM) when
 *  `read_callback` is NULL. Building the provider here keeps its C union out of Swift. */
static inline int cnghttp2_submit_response(nghttp2_session *session, int32_t stream_id, const nghttp2_nv *nva,
                                           size_t nvlen, cnghttp2_data_source_read_callback read_callback) {
    if (read_callback == NULL) {
        return nghttp2_submit_response(session, stream_id, nva, nvlen, NULL);
    }
    nghttp2_data_provider provider;
    provider.source.ptr = NULL;
    provider.read_callback = read_callback;
    return nghttp2_submit_response(session, stream_id, nva, nvlen, &provider);
}

#endif

#endif /* CNGHTTP2_SHIM_H */
