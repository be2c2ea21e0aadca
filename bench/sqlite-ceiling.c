/*
 * sqlite-ceiling: the throughput ceiling for LogPilot's storage path.
 *
 * Inserts log rows straight into SQLite with LogPilot's schema, WAL mode and
 * the given `synchronous` setting, through one reused prepared statement
 * (sqlite3_prepare_v3 + SQLITE_PREPARE_PERSISTENT; bind/step/reset), with a
 * fixed number of rows per transaction.  No HTTP, no JSON parsing, no
 * concurrency: whatever LogPilot achieves is compared against this number.
 *
 * Build:  gcc -O2 -Wall -Wextra -o sqlite-ceiling sqlite-ceiling.c -lsqlite3
 * Usage:  sqlite-ceiling DB TOTAL_ROWS|SECONDSs ROWS_PER_TXN FULL|NORMAL
 *         e.g. sqlite-ceiling /tmp/c.db 20s 1000 FULL   (run ~20 seconds)
 *              sqlite-ceiling /tmp/c.db 500000 100 NORMAL
 *
 * Output (last line is machine-readable):
 *   RESULT rows=.. seconds=.. rows_per_s=.. txns=.. txn_p50_ms=.. txn_p99_ms=..
 *          txn_max_ms=.. rows_per_txn=.. synchronous=.. sqlite=..
 * Transaction latency is commit-to-commit: the wall time from the end of one
 * COMMIT to the end of the next (the first one is measured from the start).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MESSAGE_LEN 150 /* bytes of message text per row */
#define N_TEMPLATES 16

static const char *const CHANNELS[8] = {
    "api", "auth", "billing", "db", "frontend", "payments", "search", "worker",
};

static const char *const TEMPLATES[N_TEMPLATES] = {
    "GET /api/v1/orders/%u completed status=200 bytes=5120 upstream=orders-svc",
    "user %u signed in via password from 10.0.3.17 session rotated mfa=totp",
    "invoice %u generated for customer account plan=pro-annual amount=1299.00",
    "slow query detected table=events rows_examined=%u plan=index-scan",
    "render of page /dashboard took too long component=ChartPanel id=%u",
    "payment intent %u captured provider=stripe-like currency=EUR retries=0",
    "search request %u q='error budget' shards=4 hits=137 took_ms=12",
    "job %u picked from queue=emails attempt=1 worker=w-3 visibility=30s",
    "cache miss for key session:%u falling back to primary store ttl=300",
    "rate limiter tripped for client %u bucket=burst tokens=0 refill=50/s",
    "config reload %u applied keys=17 source=configmap checksum=9f2ab7c1",
    "websocket %u closed code=1001 reason='going away' duration_s=1832",
    "retrying upstream call %u to inventory-svc after timeout budget=250ms",
    "background compaction %u finished segments=12 reclaimed_bytes=8388608",
    "feature flag evaluated for user %u flag=new-checkout variant=control",
    "health probe %u ok dependencies=[db,cache,queue] latency_ms=3 node=n2",
};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t epoch_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void die(sqlite3 *db, const char *what) {
    fprintf(stderr, "sqlite-ceiling: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(2);
}

static void exec_sql(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite-ceiling: %s: %s\n", sql, err ? err : "?");
        exit(2);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p) {
    if (n == 0) return 0.0;
    size_t idx = (size_t)(p / 100.0 * (double)n);
    if (idx >= n) idx = n - 1;
    return sorted[idx];
}

static void usage(void) {
    fprintf(stderr,
            "usage: sqlite-ceiling DB TOTAL_ROWS|SECONDSs ROWS_PER_TXN FULL|NORMAL\n"
            "  e.g. sqlite-ceiling /tmp/ceiling.db 20s 1000 FULL\n");
    exit(64);
}

int main(int argc, char **argv) {
    if (argc != 5) usage();
    const char *path = argv[1];
    const char *amount = argv[2];
    char *end = NULL;

    long long total_rows = 0;
    double duration_s = 0;
    size_t alen = strlen(amount);
    if (alen > 1 && amount[alen - 1] == 's') {
        errno = 0;
        duration_s = strtod(amount, &end);
        if (errno || end != amount + alen - 1 || duration_s <= 0) usage();
    } else {
        errno = 0;
        total_rows = strtoll(amount, &end, 10);
        if (errno || *end || total_rows <= 0) usage();
    }
    errno = 0;
    long rows_per_txn = strtol(argv[3], &end, 10);
    if (errno || *end || rows_per_txn <= 0) usage();
    const char *sync = argv[4];
    if (strcmp(sync, "FULL") != 0 && strcmp(sync, "NORMAL") != 0) usage();

    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        die(db, "open");

    exec_sql(db, "PRAGMA journal_mode=WAL");
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", sync);
    exec_sql(db, pragma);
    exec_sql(db,
             "CREATE TABLE IF NOT EXISTS logs(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
             " channel TEXT NOT NULL, level INTEGER NOT NULL, message TEXT NOT NULL, meta TEXT);"
             "CREATE INDEX IF NOT EXISTS logs_channel_id ON logs(channel, id);"
             "CREATE INDEX IF NOT EXISTS logs_ts ON logs(ts);");

    sqlite3_stmt *ins = NULL, *begin = NULL, *commit = NULL;
    const char *ins_sql = "INSERT INTO logs(ts, channel, level, message, meta) VALUES (?1, ?2, ?3, ?4, ?5)";
    if (sqlite3_prepare_v3(db, ins_sql, -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL) != SQLITE_OK)
        die(db, "prepare insert");
    if (sqlite3_prepare_v3(db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT, &begin, NULL) != SQLITE_OK)
        die(db, "prepare begin");
    if (sqlite3_prepare_v3(db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &commit, NULL) != SQLITE_OK)
        die(db, "prepare commit");

    size_t lat_cap = 1024, lat_n = 0;
    double *lat_ms = malloc(lat_cap * sizeof *lat_ms);
    if (!lat_ms) return 2;

    char message[MESSAGE_LEN + 64];
    char meta[128];
    unsigned seq = 0;
    long long rows = 0;
    double start = now_s();
    double last_commit = start;

    for (;;) {
        if (total_rows > 0 && rows >= total_rows) break;
        if (duration_s > 0 && last_commit - start >= duration_s) break;

        long n = rows_per_txn;
        if (total_rows > 0 && total_rows - rows < n) n = (long)(total_rows - rows);

        if (sqlite3_step(begin) != SQLITE_DONE) die(db, "BEGIN");
        sqlite3_reset(begin);
        for (long i = 0; i < n; i++, seq++) {
            /* ~150-byte message: a template with the sequence number, padded. */
            int len = snprintf(message, sizeof message, TEMPLATES[seq % N_TEMPLATES], seq);
            for (; len < MESSAGE_LEN; len++) message[len] = (char)('a' + (seq + (unsigned)len) % 26);
            message[len] = '\0';
            /* ~60-byte meta JSON. */
            int mlen = snprintf(meta, sizeof meta,
                                "{\"host\":\"web-%02u\",\"req\":\"%08x\",\"user\":\"u%05u\",\"dc\":\"eu-1\"}",
                                seq % 12, seq * 2654435761u, seq % 50000);
            /* Levels 0..5, mostly INFO (2). */
            int level = (seq % 10 < 6) ? 2 : (int)(seq % 6);

            sqlite3_bind_int64(ins, 1, epoch_us());
            sqlite3_bind_text(ins, 2, CHANNELS[seq % 8], -1, SQLITE_STATIC);
            sqlite3_bind_int(ins, 3, level);
            sqlite3_bind_text(ins, 4, message, len, SQLITE_STATIC);
            sqlite3_bind_text(ins, 5, meta, mlen, SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE) die(db, "INSERT");
            sqlite3_reset(ins);
        }
        if (sqlite3_step(commit) != SQLITE_DONE) die(db, "COMMIT");
        sqlite3_reset(commit);
        rows += n;

        double t = now_s();
        if (lat_n == lat_cap) {
            lat_cap *= 2;
            double *grown = realloc(lat_ms, lat_cap * sizeof *lat_ms);
            if (!grown) return 2;
            lat_ms = grown;
        }
        lat_ms[lat_n++] = (t - last_commit) * 1000.0;
        last_commit = t;
    }
    double elapsed = last_commit - start;

    sqlite3_finalize(ins);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    if (sqlite3_close(db) != SQLITE_OK) die(db, "close");

    qsort(lat_ms, lat_n, sizeof *lat_ms, cmp_double);
    printf("RESULT rows=%lld seconds=%.3f rows_per_s=%.0f txns=%zu txn_p50_ms=%.3f txn_p99_ms=%.3f"
           " txn_max_ms=%.3f rows_per_txn=%ld synchronous=%s sqlite=%s\n",
           rows, elapsed, elapsed > 0 ? (double)rows / elapsed : 0.0, lat_n,
           percentile(lat_ms, lat_n, 50), percentile(lat_ms, lat_n, 99),
           lat_n ? lat_ms[lat_n - 1] : 0.0, rows_per_txn, sync, sqlite3_libversion());
    free(lat_ms);
    return 0;
}
