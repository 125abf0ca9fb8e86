-- wrk script: hostile traffic for bench/flood.ts, one kind per run ($BENCH_FLOOD):
--   paths    GET /v1/<n><15 KB of padding>, no token: every path a new one
--   token    POST /v1/chat/completions with a wrong bearer token and a 4 KB body
--   headers  GET /v1/models with 64 KB of headers
--   objects  POST /v1/chat/completions whose messages are [{},{},...] ($BENCH_FLOOD_BYTES, default
--            1 MiB), with the headers in $BENCH_HEADERS (the real token)
-- With $BENCH_RATE set, requests follow a fixed schedule (as in post.lua) instead of going out as
-- fast as answers come back. Prints one JSON line of results at the end.
local kind = os.getenv("BENCH_FLOOD") or "paths"
local counter = 0
local extra = {}
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then extra[name] = value end
end

local padding = string.rep("a", 15 * 1024)
local junk = string.rep("h", 64 * 1024)
local small = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"' .. string.rep("x", 4000) .. '"}]}'
local objects
if kind == "objects" then
  local bytes = tonumber(os.getenv("BENCH_FLOOD_BYTES") or "1048576")
  objects = '{"model":"gpt-4o-mini","messages":[' .. string.rep("{},", math.floor(bytes / 3) - 1) .. '{}]}'
end

function request()
  counter = counter + 1
  if kind == "paths" then
    return wrk.format("GET", "/v1/" .. counter .. padding)
  elseif kind == "token" then
    return wrk.format("POST", "/v1/chat/completions",
      { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer guess-" .. counter }, small)
  elseif kind == "headers" then
    return wrk.format("GET", "/v1/models", { ["X-Junk"] = junk })
  else
    local h = { ["Content-Type"] = "application/json" }
    for k, v in pairs(extra) do h[k] = v end
    return wrk.format("POST", "/v1/chat/completions", h, objects)
  end
end

local rate = tonumber(os.getenv("BENCH_RATE") or "")
if rate then
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } flood_timespec;
    int clock_gettime(int clock_id, flood_timespec *tp);
  ]]
  local ts = ffi.new("flood_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local period_ms = 1000 / rate
  local start, slot = nil, 0
  function delay()
    local now = now_ms()
    start = start or now
    local at = start + slot * period_ms
    slot = slot + 1
    return math.max(0, math.floor(at - now + 0.5))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
end
