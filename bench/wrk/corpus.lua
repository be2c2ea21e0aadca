-- wrk script: POST batches of a *varied* log corpus to LogPilot's REST ingest endpoint.
--
--   BATCH=1000 RECORDS=5000000 wrk -t2 -c16 -d600s --timeout 30s -s bench/wrk/corpus.lua http://127.0.0.1:8080
--
-- Every body is built anew per request, so no two records are alike: ten message templates filled with request
-- ids, IPv4 addresses, ports, hex ids, UUIDs, paths, amounts and durations; a 128-bit trace id and a 64-bit span id
-- in every record's meta; eight channels (services); levels 70 % INFO, 15 % DEBUG, 10 % WARN, 5 % ERROR. About
-- 90 bytes of message and 130 bytes of meta, ~260 bytes of JSON per record. No "timestamp": the server stamps
-- the receipt time, so a time range selects a stretch of the load.
--
-- Searchable markers, at fixed rates per thread (a test of the search can know how many match):
--   "canary"      one record in RARE (default 1 000 000): the rare term
--   "timed out"   template 5, one record in 10: a common term
-- Settings (environment, or `-- key=value` after the URL; arguments win):
--   BATCH     records per request (default 1000)
--   RECORDS   stop each thread once the whole run has acknowledged this many records (split evenly over the
--             threads; 0 = no limit, run for wrk's -d). wrk itself runs on until -d or SIGINT: poll the server and
--             send SIGINT once the records are stored; RESULT's active_s is the time from the first request to the
--             last thread's last acknowledgement (records_per_s uses it). Exact when each thread's share is a
--             whole number of batches.
--   WINDOW    seconds: requests are only started inside the window (as batch.lua), 0 = none
--   RARE      one canary record in RARE
--   SEED      random seed (default 1); each thread adds its id
--   POOL      0 (default): every body is built anew per request, as above. N > 0: each thread builds N distinct
--             bodies in init() and posts them round and round, so the load generator's own CPU (building ~260
--             bytes of JSON per record with string.format) does not compete with the server on a small machine.
--             The records are then distinct within a thread's pool but repeat every N requests; the canary
--             count covers the pool's canaries once per post.
-- done() prints one "RESULT ..." line like batch.lua's.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } lp_timespec;
  int clock_gettime(int clk_id, lp_timespec *tp);
]]
local ts_buf = ffi.new("lp_timespec")
local function now_s()
  ffi.C.clock_gettime(1, ts_buf)
  return tonumber(ts_buf.tv_sec) + tonumber(ts_buf.tv_nsec) / 1e9
end

local function setting(args, name, default)
  for _, a in ipairs(args or {}) do
    local k, v = a:match("^([%w_]+)=(.*)$")
    if k and k:lower() == name:lower() then return v end
  end
  local v = os.getenv(name:upper())
  if v ~= nil and v ~= "" then return v end
  return default
end

local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local CHANNELS = { "api", "auth", "billing", "db", "frontend", "payments", "search", "worker" }
local TABLES = { "orders", "events", "sessions", "invoices", "users", "audit_log" }
local QUEUES = { "emails", "exports", "webhooks", "thumbnails" }
local PROVIDERS = { "stripe", "adyen", "paypal", "braintree" }
local CURRENCIES = { "EUR", "USD", "GBP", "CHF" }
local MFA = { "totp", "sms", "none", "webauthn" }
local rnd = math.random
local fmt = string.format

local function hex8() return fmt("%08x", rnd(0, 0x7fffffff) * 2 + rnd(0, 1)) end
local function ip() return fmt("10.%d.%d.%d", rnd(0, 31), rnd(0, 255), rnd(1, 254)) end
local function uuid() return hex8() .. "-" .. hex8():sub(1, 4) .. "-4" .. hex8():sub(1, 3) .. "-a" .. hex8():sub(1, 3) .. "-" .. hex8() .. hex8():sub(1, 4) end
local function pick(list) return list[rnd(1, #list)] end

local TEMPLATES = {
  function() return fmt("GET /api/v1/orders/%d status=%d bytes=%d duration_ms=%d client=%s", rnd(1, 9999999), pick({ 200, 200, 200, 201, 204, 304, 404, 500 }), rnd(80, 90000), rnd(1, 900), ip()) end,
  function() return fmt("user u%06d signed in from %s session=%s%s mfa=%s", rnd(1, 400000), ip(), hex8(), hex8(), pick(MFA)) end,
  function() return fmt("invoice INV-%07d generated for customer c%05d amount=%d.%02d currency=%s", rnd(1, 9999999), rnd(1, 60000), rnd(1, 9999), rnd(0, 99), pick(CURRENCIES)) end,
  function() return fmt("slow query on table %s rows_examined=%d took %d ms plan=%s-scan", pick(TABLES), rnd(1000, 5000000), rnd(200, 30000), pick({ "index", "seq" })) end,
  function() return fmt("upstream %s timed out after %d ms retry=%d path=/internal/%s/%d", pick(CHANNELS), rnd(1000, 30000), rnd(0, 5), pick(CHANNELS), rnd(1, 999999)) end,
  function() return fmt("payment %s%s captured provider=%s amount=%d.%02d attempt=%d", hex8(), hex8():sub(1, 4), pick(PROVIDERS), rnd(1, 4999), rnd(0, 99), rnd(1, 3)) end,
  function() return fmt("cache miss key=sess:%s%s node=cache-%d ttl=%ds", hex8(), hex8(), rnd(1, 24), rnd(30, 86400)) end,
  function() return fmt("job %s picked from queue=%s attempt=%d worker=w-%d", uuid(), pick(QUEUES), rnd(1, 5), rnd(1, 64)) end,
  function() return fmt("connection reset by peer %s:%d after %d bytes", ip(), rnd(1024, 65535), rnd(0, 10000000)) end,
  function() return fmt("rendered /dashboard/%d/widgets in %d ms components=%d cache=%s", rnd(1, 99999), rnd(1, 2500), rnd(1, 80), pick({ "hit", "miss" })) end,
}
-- Template 5 ("timed out") one record in 10; the others share the rest.
local function template()
  local r = rnd(1, 10)
  if r == 1 then return TEMPLATES[5]() end
  local others = { 1, 2, 3, 4, 6, 7, 8, 9, 10 }
  return TEMPLATES[others[rnd(1, #others)]]()
end

local function level()
  local r = rnd(1, 100)
  if r <= 70 then return "INFO" elseif r <= 85 then return "DEBUG" elseif r <= 95 then return "WARN" end
  return "ERROR"
end

local batch, target, window, rare, path
local pool, pool_canaries, pool_next = nil, nil, 1
local promised = 0 -- requests delay() let through that request() has not built yet (see delay())
local sent_records = 0 -- records in requests built by this thread
local t0, deadline
issued = 0
acked_requests = 0
acked_records = 0
window_records = 0
status_429 = 0
other = 0
other_example = ""
canaries = 0
window_s = 0
started_at = 0  -- clock of this thread's first request
finished_at = 0 -- clock when this thread had its RECORDS share acknowledged and stopped

local function record()
  sent_records = sent_records + 1
  local channel = pick(CHANNELS)
  local message = template()
  if sent_records % rare == 0 then
    message = message .. " canary"
    canaries = canaries + 1
  end
  return fmt('{"channel":"%s","level":"%s","message":"%s","meta":{"host":"%s-%d","trace_id":"%s%s%s%s","span_id":"%s%s","user":"u%06d","region":"eu-%d"}}',
    channel, level(), message, channel, rnd(1, 24), hex8(), hex8(), hex8(), hex8(), hex8(), hex8(), rnd(1, 400000), rnd(1, 3))
end

local function body()
  local parts = {}
  for i = 1, batch do parts[i] = record() end
  return "[" .. table.concat(parts, ",") .. "]"
end

function init(args)
  batch = tonumber(setting(args, "batch", "1000"))
  local records = tonumber(setting(args, "records", "0"))
  window = tonumber(setting(args, "window", "0"))
  rare = tonumber(setting(args, "rare", "1000000"))
  path = setting(args, "api_path", "/api/logs/batch")
  math.randomseed(tonumber(setting(args, "seed", "1")) + (id or 1) * 7919)
  local nthreads = tonumber(setting(args, "threads", "2"))
  target = records > 0 and math.ceil(records / nthreads) or 0
  local pool_size = tonumber(setting(args, "pool", "0"))
  if pool_size > 0 then
    pool, pool_canaries = {}, {}
    for i = 1, pool_size do
      local before = canaries
      pool[i] = wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body()) -- the whole request
      pool_canaries[i] = canaries - before
    end
    canaries = 0 -- counted per post from here on
    sent_records = 0
  end
end

local verified = false
function request()
  if id == 1 and not verified then -- wrk's dry-run request in thread 1, never sent
    verified = true
    return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, "[]")
  end
  if promised > 0 then promised = promised - 1 end
  local now = now_s()
  if not t0 then
    t0 = now
    started_at = now
    if window > 0 then deadline = t0 + window end
  end
  issued = issued + 1
  if pool then
    local i = pool_next
    pool_next = (i % #pool) + 1
    sent_records = sent_records + batch
    canaries = canaries + pool_canaries[i]
    return pool[i]
  end
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body())
end

-- wrk calls delay() before every request and request() later, from a timer: several connections can pass delay()
-- before any of them builds its body, so delay() reserves the batch it lets through, or RECORDS would overshoot
-- (the extra requests are still in flight when the thread stops, committed but never acknowledged).
function delay()
  if deadline and now_s() >= deadline then return 3600 * 1000 end
  if target > 0 then
    if sent_records + promised * batch >= target then return 3600 * 1000 end
    promised = promised + 1
  end
  return 0
end

function response(status, headers, resp)
  local in_window = (deadline == nil) or (now_s() < deadline)
  if status == 201 then
    local n = tonumber((resp or ""):match('"accepted"%s*:%s*(%d+)')) or batch
    acked_requests = acked_requests + 1
    acked_records = acked_records + n
    if in_window then window_records = window_records + n end
  elseif status == 429 then
    status_429 = status_429 + 1
    sent_records = sent_records - batch -- not stored: send it again
  else
    other = other + 1
    if other_example == "" then other_example = tostring(status) .. ":" .. (resp or ""):sub(1, 160):gsub("%s+", "_") end
  end
  if deadline then window_s = window end
  if target > 0 and acked_records >= target then
    finished_at = now_s()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests_stats)
  local t = { issued = 0, acked_requests = 0, acked_records = 0, window_records = 0, status_429 = 0, other = 0, canaries = 0 }
  local example, win = "", 0
  local first, last, all_finished = nil, 0, true
  for _, thread in ipairs(threads) do
    local s, f = tonumber(thread:get("started_at")) or 0, tonumber(thread:get("finished_at")) or 0
    if s > 0 and (first == nil or s < first) then first = s end
    if f > last then last = f end
    if f == 0 then all_finished = false end
    for k, _ in pairs(t) do t[k] = t[k] + (tonumber(thread:get(k)) or 0) end
    local e = thread:get("other_example")
    if example == "" and e and e ~= "" then example = e end
    win = math.max(win, tonumber(thread:get("window_s")) or 0)
  end
  local duration_s = summary.duration / 1e6
  -- with RECORDS: from the first request to the last thread's last acknowledgement (wrk itself runs on until -d
  -- or SIGINT); otherwise wrk's duration
  local active_s = (all_finished and first and last > first) and (last - first) or duration_s
  local rate = win > 0 and t.window_records / win or t.acked_records / active_s
  io.write(fmt("RESULT acked_requests=%d acked_records=%d window_records=%d records_per_s=%.0f status_429=%d other=%d"
    .. " issued=%d canaries=%d p50_ms=%.2f p99_ms=%.2f duration_s=%.2f active_s=%.3f err_connect=%d err_read=%d err_timeout=%d other_example=%s\n",
    t.acked_requests, t.acked_records, t.window_records, rate, t.status_429, t.other, t.issued, t.canaries,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, duration_s, active_s,
    summary.errors.connect, summary.errors.read, summary.errors.timeout, example == "" and "-" or example))
end
