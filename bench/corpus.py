#!/usr/bin/env python3
"""The varied log corpus of bench/wrk/corpus.lua, in Python (standard library only), for the gRPC payloads.

Same ten message templates, same eight channels, same level mix (70 % INFO, 15 % DEBUG, 10 % WARN, 5 % ERROR),
same meta keys (host, trace_id, span_id, user, region: all strings, so they fit LogRequest.meta map<string,string>),
same rates ("timed out" one record in 10; "canary" one in RARE). The random stream differs from LuaJIT's, so the
values differ; the shapes and distributions are the same. Keep the two files in step: a change to a template
there belongs here too.

  corpus.py sample [--count 5] [--seed 1]     prints COUNT records as JSON lines (to eyeball against corpus.lua)
"""
from __future__ import annotations

import argparse
import json
import random
import sys

CHANNELS = ["api", "auth", "billing", "db", "frontend", "payments", "search", "worker"]
TABLES = ["orders", "events", "sessions", "invoices", "users", "audit_log"]
QUEUES = ["emails", "exports", "webhooks", "thumbnails"]
PROVIDERS = ["stripe", "adyen", "paypal", "braintree"]
CURRENCIES = ["EUR", "USD", "GBP", "CHF"]
MFA = ["totp", "sms", "none", "webauthn"]


class Corpus:
    """Records like corpus.lua's record(): dicts with channel, level, message, meta."""

    def __init__(self, seed: int = 1, rare: int = 1_000_000) -> None:
        self.rnd = random.Random(seed)
        self.rare = rare
        self.built = 0
        self.canaries = 0

    def _r(self, a: int, b: int) -> int:
        return self.rnd.randint(a, b)

    def _pick(self, items: list):
        return items[self._r(0, len(items) - 1)]

    def _hex8(self) -> str:
        return f"{self._r(0, 0x7FFFFFFF) * 2 + self._r(0, 1):08x}"

    def _ip(self) -> str:
        return f"10.{self._r(0, 31)}.{self._r(0, 255)}.{self._r(1, 254)}"

    def _uuid(self) -> str:
        h = self._hex8
        return f"{h()}-{h()[:4]}-4{h()[:3]}-a{h()[:3]}-{h()}{h()[:4]}"

    def _template(self, n: int) -> str:
        r, p = self._r, self._pick
        if n == 1:
            return (f"GET /api/v1/orders/{r(1, 9999999)} status={p([200, 200, 200, 201, 204, 304, 404, 500])} "
                    f"bytes={r(80, 90000)} duration_ms={r(1, 900)} client={self._ip()}")
        if n == 2:
            return (f"user u{r(1, 400000):06d} signed in from {self._ip()} session={self._hex8()}{self._hex8()} "
                    f"mfa={p(MFA)}")
        if n == 3:
            return (f"invoice INV-{r(1, 9999999):07d} generated for customer c{r(1, 60000):05d} "
                    f"amount={r(1, 9999)}.{r(0, 99):02d} currency={p(CURRENCIES)}")
        if n == 4:
            return (f"slow query on table {p(TABLES)} rows_examined={r(1000, 5000000)} took {r(200, 30000)} ms "
                    f"plan={p(['index', 'seq'])}-scan")
        if n == 5:
            return (f"upstream {p(CHANNELS)} timed out after {r(1000, 30000)} ms retry={r(0, 5)} "
                    f"path=/internal/{p(CHANNELS)}/{r(1, 999999)}")
        if n == 6:
            return (f"payment {self._hex8()}{self._hex8()[:4]} captured provider={p(PROVIDERS)} "
                    f"amount={r(1, 4999)}.{r(0, 99):02d} attempt={r(1, 3)}")
        if n == 7:
            return f"cache miss key=sess:{self._hex8()}{self._hex8()} node=cache-{r(1, 24)} ttl={r(30, 86400)}s"
        if n == 8:
            return f"job {self._uuid()} picked from queue={p(QUEUES)} attempt={r(1, 5)} worker=w-{r(1, 64)}"
        if n == 9:
            return f"connection reset by peer {self._ip()}:{r(1024, 65535)} after {r(0, 10000000)} bytes"
        return (f"rendered /dashboard/{r(1, 99999)}/widgets in {r(1, 2500)} ms components={r(1, 80)} "
                f"cache={p(['hit', 'miss'])}")

    def _message(self) -> str:
        # template 5 ("timed out") one record in 10; the other nine share the rest
        if self._r(1, 10) == 1:
            return self._template(5)
        return self._template(self._pick([1, 2, 3, 4, 6, 7, 8, 9, 10]))

    def _level(self) -> str:
        r = self._r(1, 100)
        if r <= 70:
            return "INFO"
        if r <= 85:
            return "DEBUG"
        if r <= 95:
            return "WARN"
        return "ERROR"

    def record(self) -> dict:
        self.built += 1
        channel = self._pick(CHANNELS)
        message = self._message()
        if self.built % self.rare == 0:
            message += " canary"
            self.canaries += 1
        level = self._level()
        h = self._hex8
        meta = {"host": f"{channel}-{self._r(1, 24)}", "trace_id": h() + h() + h() + h(), "span_id": h() + h(),
                "user": f"u{self._r(1, 400000):06d}", "region": f"eu-{self._r(1, 3)}"}
        return {"channel": channel, "level": level, "message": message, "meta": meta}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--count", type=int, default=5)
    s.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    c = Corpus(a.seed)
    for _ in range(a.count):
        print(json.dumps(c.record(), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
