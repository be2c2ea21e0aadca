#!/usr/bin/env python3
"""Makes row-store-v1.db, the fixture of RowStoreConversionTests: a database written by a LogPilot release with the
version-1 row store (one `logs` row per record), through its real REST API.

  python3 make-row-store-fixture.py /path/to/v1/logpilot-all   # e.g. a release build of commit 23b18e7

Contents (the test checks them): 3 channels; 1 500 records: "orders" gets records 0..699, "payments" 700..1299 and
"audit" 1300..1499 interleaved in batches of 50, messages "m<i>" (with " ünïcödé ✓" every 7th, "" never), levels
cycling TRACE..FATAL, meta {"i": i, "tag": "t<i mod 5>"} on even i and none on odd, timestamps
2026-01-01T00:00:00Z + i seconds; then consumer offsets: billing/orders committed at the 100th orders record,
audit/payments seeked LATEST, x/audit seeked SPECIFIC 1400 (offset 1399).
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

binary = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp()
def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
http, mgmt, grpc = port(), port(), port()
db = os.path.join(work, "logpilot.db")
proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--http-port", str(http), "--management-port", str(mgmt),
                         "--grpc-port", str(grpc), "--sqlite-path", db, "--retention-days", "0"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{http}"
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{mgmt}/health/ready", timeout=1); break
    except Exception:
        time.sleep(0.1)
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())
levels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
def record(i):
    channel = "orders" if i < 700 else "payments" if i < 1300 else "audit"
    r = {"channel": channel, "level": levels[i % 6], "message": f"m{i}" + (" ünïcödé ✓" if i % 7 == 0 else ""),
         "timestamp": 1767225600000 + i * 1000}
    if i % 2 == 0:
        r["meta"] = {"i": i, "tag": f"t{i % 5}"}
    return r
# interleave the channels: batches of 50 round-robin over three cursors
cursors = {"orders": iter(range(0, 700)), "payments": iter(range(700, 1300)), "audit": iter(range(1300, 1500))}
while cursors:
    for name in list(cursors):
        batch = [record(i) for _, i in zip(range(50), cursors[name])]
        if not batch:
            del cursors[name]; continue
        post("/api/logs/batch", batch)
orders = json.loads(urllib.request.urlopen(base + "/api/logs/orders?consumerId=probe&autoCommit=false&limit=100").read())
post("/api/logs/commit", {"channel": "orders", "consumerId": "billing", "lastLogId": orders[-1]["id"]})
post("/api/logs/seek", {"channel": "payments", "consumerId": "audit", "operation": "LATEST"})
post("/api/logs/seek", {"channel": "audit", "consumerId": "x", "operation": "SPECIFIC", "logId": 1400})
proc.send_signal(signal.SIGTERM)
proc.wait(timeout=30)
shutil.copy(db, os.path.join(here, "row-store-v1.db"))
shutil.rmtree(work)
print("wrote", os.path.join(here, "row-store-v1.db"))
