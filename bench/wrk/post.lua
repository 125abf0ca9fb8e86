-- wrk script: POST the body in $BENCH_BODY with the headers in $BENCH_HEADERS
-- ("Name: value" lines) and print one JSON line of results at the end
-- (wrk's own --latency table stops at p99; the benchmark needs p99.9). No response() hook:
-- wrk counts status >= 400 itself, and a Lua call per response would slow the generator.
--
-- With $BENCH_RATE set, requests follow a schedule instead of going out as fast as answers come
-- back: $BENCH_BURST requests (default 1) every $BENCH_BURST/$BENCH_RATE seconds, so 1,000 req/s
-- is one request every millisecond, or with a burst of 10, ten at once every 10 ms. Each delay()
-- call takes the next slot of one schedule shared by all connections; wrk then holds that
-- connection until the slot (its timers have 1 ms resolution). Latency is timed from the moment
-- the request is written, in µs. A target slower than the schedule shows as an achieved rate
-- below $BENCH_RATE.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or "{}"
wrk.headers["Content-Type"] = "application/json"
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

-- With $BENCH_TOKENS_FILE set (one bearer token per line), each request takes the next token
-- in turn: many clients' keys, as the client-keys benchmark needs. A request() hook costs the
-- generator a Lua call per request, so only that benchmark uses it, for every variant it compares.
local tokens_file = os.getenv("BENCH_TOKENS_FILE")
if tokens_file then
  local tokens = {}
  for line in io.lines(tokens_file) do
    if line ~= "" then tokens[#tokens + 1] = line end
  end
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  local next_token = 0
  function request()
    next_token = next_token % #tokens + 1
    headers["Authorization"] = "Bearer " .. tokens[next_token]
    return wrk.format(nil, nil, headers, nil)
  end
end

local rate = tonumber(os.getenv("BENCH_RATE") or "")
if rate then
  -- wrk's Lua is LuaJIT: the FFI reads the monotonic clock (os.clock is CPU time, os.time seconds).
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock_id, bench_timespec *tp);
  ]]
  local ts = ffi.new("bench_timespec")
  local CLOCK_MONOTONIC = 1
  local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local burst = tonumber(os.getenv("BENCH_BURST") or "1")
  local period_ms = burst * 1000 / rate
  local start, slot = nil, 0
  function delay()
    local now = now_ms()
    start = start or now
    local at = start + math.floor(slot / burst) * period_ms
    slot = slot + 1
    return math.max(0, math.floor(at - now + 0.5))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
