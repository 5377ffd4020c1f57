-- wrk script for bench/: one request shape per run, and a parseable summary.
--
-- Arguments (after `--` on the wrk command line):
--   METHOD [BODYFILE|-] [PATH ...]
-- BODYFILE is sent as a JSON body with every request ("-": none). With PATHs, requests
-- cycle through them (a mix); without, every request goes to the URL's own path.
-- `done()` prints one line: BENCH_RESULT {json}, latencies in microseconds.

local method = "GET"
local body = nil
local headers = {}
local paths = {}
local fixed = nil
local index = 0

function init(args)
  method = args[1] or "GET"
  local bodyfile = args[2]
  if bodyfile ~= nil and bodyfile ~= "-" then
    local fh = assert(io.open(bodyfile, "rb"))
    body = fh:read("*a")
    fh:close()
    headers["Content-Type"] = "application/json"
  end
  for i = 3, #args do
    paths[#paths + 1] = args[i]
  end
  if #paths <= 1 then
    fixed = wrk.format(method, paths[1], headers, body)
  end
end

function request()
  if fixed ~= nil then
    return fixed
  end
  index = index % #paths + 1
  return wrk.format(method, paths[index], headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%.1f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
