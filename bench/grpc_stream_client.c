/*
 * grpc_stream_client: StreamLogs load client in C (nghttp2, h2c with prior knowledge).
 *
 * N streams, each on its own connection (like N independent log shippers), each
 * sending LogRequests as fast as HTTP/2 flow control lets it for --duration
 * seconds, then half-closing and waiting (at most --grace seconds) for the
 * server's final cumulative ack and its grpc-status.  Acks are read all along.
 * One thread, poll(); the records are pre-encoded by bench/grpc_payload.py
 * (`grpc_payload.py stream FILE`: length-prefixed LogRequests back to back) and
 * sent round and round, so the client spends almost nothing per record.
 *
 * Build:  gcc -O2 -Wall -Wextra -o grpc_stream_client grpc_stream_client.c -lnghttp2
 * Usage:  grpc_stream_client --port P --messages FILE [--host 127.0.0.1] [--streams 4]
 *                            [--duration 20] [--grace 10]
 *
 * Ack latency: the time from handing a record to nghttp2 (it is written to the
 * socket at once unless the socket is full) to the arrival of the first ack
 * that covers it, at the granularity of one DATA chunk (~16 KB, ~70 records),
 * weighted by records.
 *
 * Output (last line is machine-readable; same keys as grpc_stream_client.py):
 *   RESULT streams=.. ok_streams=.. failed_streams=.. unanswered=.. sent_records=..
 *          acked_records=.. window_records=.. window_s=.. records_per_s=.. acks=..
 *          p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. duration_s=.. client=c-nghttp2 first_error=..
 * acked_records: sum of the final acks (what the database must hold);
 * window_records: acks that arrived inside the window; records_per_s = window_records / window_s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PATH "/logpilot.LogService/StreamLogs"
#define MAX_STREAMS 256
#define HIST_BUCKETS 200000 /* 0.05 ms buckets: up to 10 s */
#define HIST_RES_MS 0.05

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *msg) {
    fprintf(stderr, "grpc_stream_client: %s\n", msg);
    exit(2);
}

/* ------------------------------------------------------------ the records */

static uint8_t *src;      /* framed messages back to back */
static size_t src_len;
static size_t *msg_start; /* offset of message i */
static size_t *msg_end;   /* offset just past message i */
static size_t n_msgs;

static void load_messages(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 6) die("messages file is empty");
    src_len = (size_t)st.st_size;
    src = malloc(src_len);
    if (!src || fread(src, 1, src_len, f) != src_len) die("cannot read the messages file");
    fclose(f);
    size_t cap = 1024, pos = 0;
    msg_start = malloc(cap * sizeof *msg_start);
    msg_end = malloc(cap * sizeof *msg_end);
    while (pos < src_len) {
        if (src_len - pos < 5 || src[pos] != 0) die("messages file: bad gRPC frame");
        uint32_t len = (uint32_t)src[pos + 1] << 24 | (uint32_t)src[pos + 2] << 16 |
                       (uint32_t)src[pos + 3] << 8 | (uint32_t)src[pos + 4];
        if (len > src_len - pos - 5) die("messages file: truncated gRPC frame");
        if (n_msgs == cap) {
            cap *= 2;
            msg_start = realloc(msg_start, cap * sizeof *msg_start);
            msg_end = realloc(msg_end, cap * sizeof *msg_end);
            if (!msg_start || !msg_end) die("out of memory");
        }
        msg_start[n_msgs] = pos;
        msg_end[n_msgs] = pos + 5 + len;
        n_msgs++;
        pos += 5 + len;
    }
}

/* ---------------------------------------------------------- ack latency */

static uint64_t hist[HIST_BUCKETS];
static uint64_t hist_n;
static double lat_max_ms;

static void add_latency(double seconds, uint64_t weight) {
    double ms = seconds * 1000.0;
    if (ms < 0) ms = 0;
    if (ms > lat_max_ms) lat_max_ms = ms;
    size_t b = (size_t)(ms / HIST_RES_MS);
    if (b >= HIST_BUCKETS) b = HIST_BUCKETS - 1;
    hist[b] += weight;
    hist_n += weight;
}

static double percentile(double p) {
    if (hist_n == 0) return 0;
    uint64_t want = (uint64_t)(p / 100.0 * (double)hist_n), seen = 0;
    if (want >= hist_n) want = hist_n - 1;
    for (size_t b = 0; b < HIST_BUCKETS; b++) {
        seen += hist[b];
        if (seen > want) return ((double)b + 0.5) * HIST_RES_MS;
    }
    return lat_max_ms;
}

/* ------------------------------------------------------------ connections */

typedef struct {
    int64_t cum; /* records sent up to and including this chunk */
    double t;    /* when the chunk was handed to nghttp2 */
} chunk_t;

typedef struct {
    int index;
    int fd;
    nghttp2_session *session;
    int32_t stream_id;
    /* sending */
    size_t pos;      /* byte offset in src */
    size_t next_msg; /* message that contains pos */
    int64_t sent;    /* complete records handed to nghttp2 */
    int eof;         /* END_STREAM sent */
    chunk_t *chunks;
    size_t n_chunks, cap_chunks, lat_chunk;
    int64_t lat_acked; /* records whose latency was recorded */
    /* receiving: gRPC deframer for the acks */
    uint8_t head[5];
    size_t head_len;
    uint8_t msg[1024];
    size_t msg_len, msg_need;
    int in_msg;
    int64_t committed, window_committed, acks;
    /* outcome */
    int http_status;
    int grpc_status; /* -1 = none yet */
    char grpc_message[200];
    int closed;         /* stream closed */
    uint32_t rst_code;  /* error code of the stream close */
    char io_error[120]; /* connection problem */
    int done;
} conn_t;

static double deadline, hard_end;

static ssize_t send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud) {
    (void)s; (void)flags;
    conn_t *c = ud;
    ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
    if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return NGHTTP2_ERR_WOULDBLOCK;
        if (!c->io_error[0]) snprintf(c->io_error, sizeof c->io_error, "send:%s", strerror(errno));
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return w;
}

/* DATA source: whole and partial messages from src, round and round; after the
 * deadline, finish the message in progress and end the stream. */
static ssize_t read_cb(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t length, uint32_t *flags,
                       nghttp2_data_source *source, void *ud) {
    (void)s; (void)sid; (void)source;
    conn_t *c = ud;
    double t = now_s();
    int stop = t >= deadline;
    size_t n = 0;
    int64_t sent0 = c->sent;
    while (n < length) {
        if (stop && c->pos == msg_start[c->next_msg]) break;
        size_t end = msg_end[c->next_msg];
        size_t take = end - c->pos;
        if (take > length - n) take = length - n;
        memcpy(buf + n, src + c->pos, take);
        n += take;
        c->pos += take;
        if (c->pos == end) {
            c->sent++;
            if (++c->next_msg == n_msgs) {
                c->next_msg = 0;
                c->pos = 0;
            }
        }
    }
    if (stop && c->pos == msg_start[c->next_msg]) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        c->eof = 1;
    }
    if (c->sent > sent0) {
        if (c->n_chunks == c->cap_chunks) {
            c->cap_chunks = c->cap_chunks ? c->cap_chunks * 2 : 4096;
            c->chunks = realloc(c->chunks, c->cap_chunks * sizeof *c->chunks);
            if (!c->chunks) die("out of memory");
        }
        c->chunks[c->n_chunks++] = (chunk_t){c->sent, t};
    }
    return (ssize_t)n;
}

static int64_t read_varint(const uint8_t *p, size_t len, size_t *pos, int *ok) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len) { *ok = 0; return 0; }
        uint8_t b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return (int64_t)v;
    }
    *ok = 0;
    return 0;
}

static void on_ack(conn_t *c) {
    int64_t committed = -1;
    size_t pos = 0;
    int ok = 1;
    while (ok && pos < c->msg_len) {
        int64_t key = read_varint(c->msg, c->msg_len, &pos, &ok);
        if (!ok) break;
        int wire = (int)(key & 7);
        int64_t number = key >> 3;
        if (wire == 0) {
            int64_t v = read_varint(c->msg, c->msg_len, &pos, &ok);
            if (number == 1) committed = v;
        } else if (wire == 2) {
            int64_t l = read_varint(c->msg, c->msg_len, &pos, &ok);
            pos += (size_t)l;
        } else if (wire == 1) {
            pos += 8;
        } else if (wire == 5) {
            pos += 4;
        } else {
            ok = 0;
        }
    }
    if (!ok) {
        if (!c->io_error[0]) snprintf(c->io_error, sizeof c->io_error, "undecodable_ack");
        return;
    }
    if (committed < 0) committed = 0; /* proto3: 0 is not sent */
    double t = now_s();
    c->acks++;
    c->committed = committed;
    if (t < deadline) c->window_committed = committed;
    while (c->lat_chunk < c->n_chunks && c->lat_acked < committed) {
        chunk_t *k = &c->chunks[c->lat_chunk];
        int64_t upto = k->cum < committed ? k->cum : committed;
        add_latency(t - k->t, (uint64_t)(upto - c->lat_acked));
        c->lat_acked = upto;
        if (upto == k->cum) c->lat_chunk++;
    }
}

static int data_chunk_cb(nghttp2_session *s, uint8_t flags, int32_t sid, const uint8_t *data, size_t len,
                         void *ud) {
    (void)s; (void)flags;
    conn_t *c = ud;
    if (sid != c->stream_id) return 0;
    for (size_t i = 0; i < len;) {
        if (!c->in_msg) {
            c->head[c->head_len++] = data[i++];
            if (c->head_len == 5) {
                c->msg_need = (size_t)c->head[1] << 24 | (size_t)c->head[2] << 16 | (size_t)c->head[3] << 8 |
                              (size_t)c->head[4];
                c->head_len = 0;
                c->msg_len = 0;
                if (c->head[0] != 0 || c->msg_need > sizeof c->msg) {
                    snprintf(c->io_error, sizeof c->io_error, "unexpected_response_message(flag=%u,len=%zu)",
                             c->head[0], c->msg_need);
                    return NGHTTP2_ERR_CALLBACK_FAILURE;
                }
                c->in_msg = 1;
                if (c->msg_need == 0) { on_ack(c); c->in_msg = 0; }
            }
        } else {
            size_t take = c->msg_need - c->msg_len;
            if (take > len - i) take = len - i;
            memcpy(c->msg + c->msg_len, data + i, take);
            c->msg_len += take;
            i += take;
            if (c->msg_len == c->msg_need) { on_ack(c); c->in_msg = 0; }
        }
    }
    return 0;
}

static int header_cb(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *ud) {
    (void)s; (void)flags;
    conn_t *c = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->hd.stream_id != c->stream_id) return 0;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        c->http_status = atoi((const char *)value);
    } else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0) {
        char tmp[16] = {0};
        memcpy(tmp, value, valuelen < 15 ? valuelen : 15);
        c->grpc_status = atoi(tmp);
    } else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0) {
        size_t n = valuelen < sizeof c->grpc_message - 1 ? valuelen : sizeof c->grpc_message - 1;
        memcpy(c->grpc_message, value, n);
        c->grpc_message[n] = 0;
        for (size_t i = 0; i < n; i++)
            if (c->grpc_message[i] == ' ') c->grpc_message[i] = '_';
    }
    return 0;
}

static int stream_close_cb(nghttp2_session *s, int32_t sid, uint32_t error_code, void *ud) {
    (void)s;
    conn_t *c = ud;
    if (sid != c->stream_id) return 0;
    c->closed = 1;
    c->rst_code = error_code;
    return 0;
}

static void conn_open(conn_t *c, const char *host, int port) {
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) die("--host must be an IPv4 address");
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) die("socket() failed");
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(c->io_error, sizeof c->io_error, "connect:%s", strerror(errno));
        c->done = 1;
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);

    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, send_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, data_chunk_cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, header_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, stream_close_cb);
    if (nghttp2_session_client_new(&c->session, cb, c) != 0) die("nghttp2_session_client_new failed");
    nghttp2_session_callbacks_del(cb);

    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, 1);
    c->grpc_status = -1;
}

static void conn_start_stream(conn_t *c, const char *authority) {
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}
    nghttp2_nv hdrs[] = {
        NV(":method", "POST"),           NV(":scheme", "http"),
        NV(":path", PATH),               NV(":authority", authority),
        NV("content-type", "application/grpc"), NV("te", "trailers"),
        NV("user-agent", "logpilot-bench-grpc-stream-client"),
    };
#undef NV
    nghttp2_data_provider prd = {.source = {.ptr = NULL}, .read_callback = read_cb};
    c->stream_id = nghttp2_submit_request(c->session, NULL, hdrs, sizeof hdrs / sizeof hdrs[0], &prd, c);
    if (c->stream_id < 0) die("nghttp2_submit_request failed");
}

static void conn_fail(conn_t *c, const char *what) {
    if (!c->io_error[0]) snprintf(c->io_error, sizeof c->io_error, "%s", what);
    c->done = 1;
}

static void conn_send(conn_t *c) {
    if (c->done) return;
    int rv = nghttp2_session_send(c->session);
    if (rv != 0) conn_fail(c, nghttp2_strerror(rv));
}

static void conn_recv(conn_t *c) {
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EINTR) continue;
            char msg[80];
            snprintf(msg, sizeof msg, "recv:%s", strerror(errno));
            conn_fail(c, msg);
            return;
        }
        if (n == 0) {
            if (!c->closed) conn_fail(c, "connection_closed_by_server");
            c->done = 1;
            return;
        }
        ssize_t rv = nghttp2_session_mem_recv(c->session, buf, (size_t)n);
        if (rv < 0) {
            conn_fail(c, nghttp2_strerror((int)rv));
            return;
        }
        if (c->closed) {
            c->done = 1;
            return;
        }
    }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *messages = NULL;
    int port = 0, n_streams = 4;
    double duration = 20, grace = 10;
    static struct option opts[] = {
        {"host", required_argument, 0, 'h'},     {"port", required_argument, 0, 'p'},
        {"streams", required_argument, 0, 's'},  {"duration", required_argument, 0, 'd'},
        {"grace", required_argument, 0, 'g'},    {"messages", required_argument, 0, 'm'},
        {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 's': n_streams = atoi(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'g': grace = atof(optarg); break;
        case 'm': messages = optarg; break;
        default:
            fprintf(stderr, "usage: %s --port P --messages FILE [--host 127.0.0.1] [--streams 4] "
                            "[--duration 20] [--grace 10]\n", argv[0]);
            return 2;
        }
    }
    if (port <= 0 || !messages || n_streams < 1 || n_streams > MAX_STREAMS || duration <= 0 || grace <= 0) {
        fprintf(stderr, "usage: %s --port P --messages FILE [--host 127.0.0.1] [--streams 1..%d] "
                        "[--duration S] [--grace S]\n", argv[0], MAX_STREAMS);
        return 2;
    }
    load_messages(messages);
    fprintf(stderr, "grpc_stream_client: %d streams, %zu distinct records (%zu bytes), %gs + %gs grace\n",
            n_streams, n_msgs, src_len, duration, grace);

    char authority[300];
    snprintf(authority, sizeof authority, "%s:%d", host, port);
    static conn_t conns[MAX_STREAMS];
    for (int i = 0; i < n_streams; i++) {
        conns[i].index = i;
        conn_open(&conns[i], host, port);
    }
    double start = now_s();
    deadline = start + duration;
    hard_end = deadline + grace;
    for (int i = 0; i < n_streams; i++)
        if (!conns[i].done) conn_start_stream(&conns[i], authority);

    struct pollfd pfd[MAX_STREAMS];
    int idx[MAX_STREAMS];
    for (;;) {
        double t = now_s();
        if (t >= hard_end) break;
        int n = 0;
        for (int i = 0; i < n_streams; i++) {
            conn_t *c = &conns[i];
            conn_send(c);
            if (c->done) continue;
            short ev = 0;
            if (nghttp2_session_want_read(c->session)) ev |= POLLIN;
            if (nghttp2_session_want_write(c->session)) ev |= POLLOUT;
            if (!ev) { conn_fail(c, "session_ended_without_stream_close"); continue; }
            pfd[n] = (struct pollfd){.fd = c->fd, .events = ev};
            idx[n++] = i;
        }
        if (n == 0) break;
        int timeout_ms = 50; /* wake up to notice the deadline while flow control blocks the stream */
        if (poll(pfd, (nfds_t)n, timeout_ms) < 0) {
            if (errno == EINTR) continue;
            die("poll failed");
        }
        for (int j = 0; j < n; j++) {
            conn_t *c = &conns[idx[j]];
            if (pfd[j].revents & (POLLIN | POLLERR | POLLHUP)) conn_recv(c);
            if (!c->done && (pfd[j].revents & POLLOUT)) conn_send(c);
        }
    }
    double end = now_s();

    int ok = 0, failed = 0, unanswered = 0;
    int64_t sent = 0, acked = 0, window_records = 0, acks = 0;
    char first_error[400] = "-";
    for (int i = 0; i < n_streams; i++) {
        conn_t *c = &conns[i];
        sent += c->sent;
        acked += c->committed;
        window_records += c->window_committed;
        acks += c->acks;
        char err[360] = "";
        if (c->closed && c->grpc_status == 0 && c->rst_code == 0) {
            ok++;
        } else if (c->closed && c->grpc_status > 0) {
            failed++;
            snprintf(err, sizeof err, "grpc-status_%d:%s", c->grpc_status,
                     c->grpc_message[0] ? c->grpc_message : "-");
        } else if (c->closed) {
            failed++;
            snprintf(err, sizeof err, "stream_closed_http%d_rst%u_no_grpc-status%s%s", c->http_status, c->rst_code,
                     c->io_error[0] ? ":" : "", c->io_error);
        } else if (c->io_error[0]) {
            failed++;
            snprintf(err, sizeof err, "%s", c->io_error);
        } else {
            unanswered++;
            snprintf(err, sizeof err, "no_final_status_within_grace");
        }
        if (err[0] && strcmp(first_error, "-") == 0) snprintf(first_error, sizeof first_error, "%s", err);
        fprintf(stderr, "grpc_stream_client: stream %d: sent %lld, acked %lld (%lld acks), status %s\n", i,
                (long long)c->sent, (long long)c->committed, (long long)c->acks, err[0] ? err : "OK");
        if (c->session) nghttp2_session_del(c->session);
        if (c->fd >= 0) close(c->fd);
    }
    printf("RESULT streams=%d ok_streams=%d failed_streams=%d unanswered=%d sent_records=%lld acked_records=%lld"
           " window_records=%lld window_s=%g records_per_s=%.0f acks=%lld p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f"
           " max_ms=%.2f duration_s=%.2f client=c-nghttp2 first_error=%s\n",
           n_streams, ok, failed, unanswered, (long long)sent, (long long)acked, (long long)window_records, duration,
           (double)window_records / duration, (long long)acks, percentile(50), percentile(90), percentile(99),
           lat_max_ms, end - start, first_error);
    return 0;
}
