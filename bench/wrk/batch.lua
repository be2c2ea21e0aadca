-- wrk script: POST batches of log records to LogPilot's REST ingest endpoint.
--
--   BATCH=1000 WINDOW=20 wrk -t2 -c16 -d30s --timeout 30s -s bench/wrk/batch.lua http://127.0.0.1:8080
--
-- Bodies are built once per thread in init(); only the timestamps are filled
-- in per request. Settings come from environment variables, or from script arguments after
-- `--` (e.g. `-- batch=100 window=20`); arguments win:
--   BATCH      records per request body (default 100)
--   BODIES     distinct bodies built per thread in init() (default 16)
--   WINDOW     measurement window in seconds, counted from each thread's first
--              request. Requests are only *started* inside the window; after it
--              every connection idles (delay()), so run wrk with -d = WINDOW +
--              a grace period and every request gets its answer before wrk
--              stops. That is what lets the runner compare the database row
--              count with the acknowledged records exactly. Unset = plain wrk.
--   TIMESTAMPS 1 (default): every record gets a "timestamp", the wall-clock
--              time the request is built (same for the whole batch); 0: none
--              (the server stamps the receipt time)
--   API_PATH   default /api/logs/batch
--
-- done() prints one machine-readable line starting with "RESULT ".
-- Counters live in each thread's Lua state; setup() collects the threads and
-- done() reads them back with thread:get().

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } lp_timespec;
  int clock_gettime(int clk_id, lp_timespec *tp);
]]
local CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1
local ts_buf = ffi.new("lp_timespec")
local function now_s()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts_buf)
  return tonumber(ts_buf.tv_sec) + tonumber(ts_buf.tv_nsec) / 1e9
end

-- "2026-11-23T10:00:00.123Z" for the current UTC time (always 24 bytes)
local function now_iso8601()
  ffi.C.clock_gettime(CLOCK_REALTIME, ts_buf)
  local sec = tonumber(ts_buf.tv_sec)
  return os.date("!%Y-%m-%dT%H:%M:%S", sec) .. string.format(".%03dZ", math.floor(tonumber(ts_buf.tv_nsec) / 1e6))
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

-- ---------------------------------------------------------------- main state

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

-- ------------------------------------------------------------- thread states

local CHANNELS = { "api", "auth", "billing", "db", "frontend", "payments", "search", "worker" }
local LEVELS = { "INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "ERROR" }
local TEMPLATES = {
  "GET /api/v1/orders/%d completed status=200 bytes=5120 upstream=orders-svc",
  "user %d signed in via password from 10.0.3.17 session rotated mfa=totp",
  "invoice %d generated for customer account plan=pro-annual amount=1299.00",
  "slow query detected table=events rows_examined=%d plan=index-scan",
  "render of page /dashboard took too long component=ChartPanel id=%d",
  "payment intent %d captured provider=stripe-like currency=EUR retries=0",
  "search request %d q=error-budget shards=4 hits=137 took_ms=12",
  "job %d picked from queue=emails attempt=1 worker=w-3 visibility=30s",
}
local MESSAGE_LEN = 150
local PAD = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"

local batch, window, timestamps, n_requests
local heads, parts = {}, {} -- per body: the HTTP head, and the body split where the timestamps go
local cursor = 0
local t0, deadline

-- per-thread counters, read by done() through thread:get()
issued = 0           -- requests handed to wrk by request()
acked_requests = 0   -- 201 responses
acked_records = 0    -- records those 201s acknowledged ("accepted":N, else BATCH)
window_records = 0   -- acked records whose 201 arrived inside the window
window_requests = 0
status_429 = 0
other = 0            -- any other status
other_example = ""   -- first unexpected response, for the report
accepted_mismatch = 0 -- 201s whose "accepted" was not BATCH
window_s = 0

-- One record as two strings: the text before the timestamp value and after
-- it (or the whole record and "" without timestamps).
local function make_record(seq)
  local msg = string.format(TEMPLATES[seq % #TEMPLATES + 1], seq)
  if #msg < MESSAGE_LEN then msg = msg .. " " .. PAD:sub(1, MESSAGE_LEN - #msg - 1) end
  local meta = string.format('{"host":"web-%02d","req":"%08x","user":"u%05d","dc":"eu-1"}',
    seq % 12, (seq * 2654435761) % 4294967296, seq % 50000)
  local rec = string.format('{"channel":"%s","level":"%s","message":"%s","meta":%s',
    CHANNELS[seq % #CHANNELS + 1], LEVELS[seq % #LEVELS + 1], msg, meta)
  if timestamps then return rec .. ',"timestamp":"', '"}' end
  return rec .. "}", ""
end

function init(args)
  batch = tonumber(setting(args, "batch", "100"))
  local bodies = tonumber(setting(args, "bodies", "16"))
  window = tonumber(setting(args, "window", "0"))
  timestamps = setting(args, "timestamps", "1") ~= "0"
  local path = setting(args, "api_path", "/api/logs/batch")
  local tid = id or 1
  local ts_len = #now_iso8601()

  local seq = (tid - 1) * 100000000
  for b = 1, bodies do
    -- parts[b] = { "[" .. pre1, suf1 .. "," .. pre2, ..., sufN .. "]" }: the body is
    -- table.concat(parts[b], timestamp), so every request carries the time it
    -- was sent (like a shipper flushing a batch), and the ts index grows at
    -- its end as with the SQLite ceiling's ts = now.
    local p = {}
    local pending = "["
    for i = 1, batch do
      local pre, suf = make_record(seq)
      seq = seq + 1
      if timestamps then
        p[#p + 1] = pending .. pre
        pending = suf
      else
        pending = pending .. pre
      end
      if i < batch then pending = pending .. "," end
    end
    p[#p + 1] = pending .. "]"
    parts[b] = p
    local sample = table.concat(p, string.rep("0", ts_len))
    local req = wrk.format("POST", path, { ["Content-Type"] = "application/json" }, sample)
    heads[b] = req:sub(1, #req - #sample)
  end
  n_requests = bodies
  if tid == 1 then
    io.stderr:write(string.format("batch.lua: batch=%d bodies/thread=%d body_bytes~%d timestamps=%s window=%ss\n",
      batch, bodies, #heads[1] + #table.concat(parts[1], string.rep("0", ts_len)),
      timestamps and "now" or "none", tostring(window)))
  end
end

local function build(i)
  if #parts[i] == 1 then return heads[i] .. parts[i][1] end
  return heads[i] .. table.concat(parts[i], now_iso8601())
end

local verified = false

function request()
  -- wrk calls request() once in thread 1's state before the run, to count
  -- pipelined requests (script_verify_request); that one is never sent.
  if id == 1 and not verified then
    verified = true
    return build(1)
  end
  local now = now_s()
  if not t0 then
    t0 = now
    if window > 0 then deadline = t0 + window end
  end
  issued = issued + 1
  cursor = cursor % n_requests + 1
  return build(cursor)
end

-- Called by wrk before each request is built: 0 inside the window (or without
-- one), then park the connection for an hour (wrk stops long before that).
function delay()
  if deadline and now_s() >= deadline then return 3600 * 1000 end
  return 0
end

function response(status, headers, body)
  local now = now_s()
  local in_window = (deadline == nil) or (now < deadline)
  if status == 201 then
    local n = tonumber((body or ""):match('"accepted"%s*:%s*(%d+)')) or batch
    if n ~= batch then accepted_mismatch = accepted_mismatch + 1 end
    acked_requests = acked_requests + 1
    acked_records = acked_records + n
    if in_window then
      window_records = window_records + n
      window_requests = window_requests + 1
    end
  elseif status == 429 then
    status_429 = status_429 + 1
  else
    other = other + 1
    if other_example == "" then
      other_example = tostring(status) .. ":" .. (body or ""):sub(1, 160):gsub("%s+", "_")
    end
  end
  if deadline then window_s = window end
end

-- ---------------------------------------------------------------- main state

function done(summary, latency, requests_stats)
  local t = {
    issued = 0, acked_requests = 0, acked_records = 0, window_records = 0, window_requests = 0,
    status_429 = 0, other = 0, accepted_mismatch = 0,
  }
  local example, win = "", 0
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (tonumber(thread:get(k)) or 0) end
    local e = thread:get("other_example")
    if example == "" and e and e ~= "" then example = e end
    win = math.max(win, tonumber(thread:get("window_s")) or 0)
  end
  local completed = t.acked_requests + t.status_429 + t.other
  local duration_s = summary.duration / 1e6
  local rate
  if win > 0 then rate = t.window_records / win else rate = t.acked_records / duration_s end
  local e = summary.errors
  io.write(string.format(
    "RESULT acked_requests=%d acked_records=%d window_records=%d window_s=%g records_per_s=%.0f"
    .. " status_429=%d other=%d issued=%d completed=%d lost=%d accepted_mismatch=%d"
    .. " p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f duration_s=%.2f"
    .. " err_connect=%d err_read=%d err_write=%d err_timeout=%d other_example=%s\n",
    t.acked_requests, t.acked_records, t.window_records, win, rate,
    t.status_429, t.other, t.issued, completed, t.issued - completed, t.accepted_mismatch,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, duration_s,
    e.connect, e.read, e.write, e.timeout, example == "" and "-" or example))
end
