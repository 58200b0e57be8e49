-- wrk script: Rekognition DetectCustomLabels requests against `logoscope serve` (bench/serve_load.sh).
--
--   wrk -t2 -c16 -d20s --timeout 10s -s bench/serve/post_image.lua http://127.0.0.1:PORT/ \
--       -- VERSION_ARN IMAGE.jpg [IMAGE.jpg ...]
--
-- Each request is POST / with X-Amz-Target RekognitionService.DetectCustomLabels and an AWS JSON 1.1
-- body {"ProjectVersionArn": ARN, "Image": {"Bytes": base64}}; the images are read and encoded once
-- per thread and taken in turn (each thread starts at a different one). Answers other than 200 are
-- counted by status; at the end one summary line is printed for the caller to parse:
--   RESULT requests=N ok=N duration_s=S rps=R ok_rps=R p50_ms=L p90_ms=L p99_ms=L max_ms=L
--          non200=STATUS:N,... socket=connect:N,read:N,write:N,timeout:N
-- (one line; rps counts every answer, ok_rps the 200s). wrk runs this file in one Lua state per
-- thread plus one for setup/done; done() gathers the per-thread counts through thread:get().

local bit = require("bit")

-- ---- base64 (RFC 4648, with padding) -------------------------------------------------------------

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local symbols = {}
for i = 1, 64 do symbols[i - 1] = alphabet:sub(i, i) end

local function base64(data)
  local out = {}
  local n = #data
  for i = 1, n - 2, 3 do
    local a, b, c = data:byte(i, i + 2)
    local v = bit.bor(bit.lshift(a, 16), bit.lshift(b, 8), c)
    out[#out + 1] = symbols[bit.band(bit.rshift(v, 18), 63)] .. symbols[bit.band(bit.rshift(v, 12), 63)]
                    .. symbols[bit.band(bit.rshift(v, 6), 63)] .. symbols[bit.band(v, 63)]
  end
  local rest = n % 3
  if rest == 1 then
    local v = bit.lshift(data:byte(n), 16)
    out[#out + 1] = symbols[bit.band(bit.rshift(v, 18), 63)] .. symbols[bit.band(bit.rshift(v, 12), 63)] .. "=="
  elseif rest == 2 then
    local a, b = data:byte(n - 1, n)
    local v = bit.bor(bit.lshift(a, 16), bit.lshift(b, 8))
    out[#out + 1] = symbols[bit.band(bit.rshift(v, 18), 63)] .. symbols[bit.band(bit.rshift(v, 12), 63)]
                    .. symbols[bit.band(bit.rshift(v, 6), 63)] .. "="
  end
  return table.concat(out)
end

-- A JSON string literal (ARNs have no characters that need more than this).
local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

-- ---- setup (the main state): remember the threads, give each an id -------------------------------

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- ---- each thread: build the requests once, rotate through them -----------------------------------

local requests = {}
local position = 0
statuses = {}  -- global: read by done() through thread:get("statuses")

function init(args)
  local arn = args[1]
  if arn == nil or #args < 2 then
    error("usage: wrk ... -s post_image.lua URL -- VERSION_ARN IMAGE [IMAGE ...]")
  end
  local headers = {
    ["Content-Type"] = "application/x-amz-json-1.1",
    ["X-Amz-Target"] = "RekognitionService.DetectCustomLabels",
  }
  for i = 2, #args do
    local file = assert(io.open(args[i], "rb"), "cannot read " .. args[i])
    local bytes = file:read("*a")
    file:close()
    local body = '{"ProjectVersionArn":' .. json_string(arn) .. ',"Image":{"Bytes":"' .. base64(bytes) .. '"}}'
    requests[#requests + 1] = wrk.format("POST", "/", headers, body)
  end
  position = (id or 0) % #requests  -- threads start on different images
end

function request()
  position = position % #requests + 1
  return requests[position]
end

function response(status, headers, body)
  if status ~= 200 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

-- ---- done (the main state): one summary ----------------------------------------------------------

function done(summary, latency, _)
  local non200 = {}
  local failed = 0
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      non200[status] = (non200[status] or 0) + count
      failed = failed + count
    end
  end
  local codes = {}
  for status in pairs(non200) do codes[#codes + 1] = status end
  table.sort(codes)
  local parts = {}
  for _, status in ipairs(codes) do parts[#parts + 1] = status .. ":" .. non200[status] end
  local non200_text = #parts > 0 and table.concat(parts, ",") or "none"

  local seconds = summary.duration / 1e6
  local ok = summary.requests - failed
  local e = summary.errors
  io.write(string.format("requests %d in %.1f s: %.2f req/s (%.2f req/s answered 200); latency p50 %.1f ms, "
                         .. "p99 %.1f ms, max %.1f ms\n",
                         summary.requests, seconds, summary.requests / seconds, ok / seconds,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("non-200 answers by status: %s; socket errors: connect %d, read %d, write %d, "
                         .. "timeout %d\n", non200_text, e.connect, e.read, e.write, e.timeout))
  io.write(string.format("RESULT requests=%d ok=%d duration_s=%.3f rps=%.3f ok_rps=%.3f p50_ms=%.2f p90_ms=%.2f "
                         .. "p99_ms=%.2f max_ms=%.2f non200=%s socket=connect:%d,read:%d,write:%d,timeout:%d\n",
                         summary.requests, ok, seconds, summary.requests / seconds, ok / seconds,
                         latency:percentile(50) / 1000, latency:percentile(90) / 1000,
                         latency:percentile(99) / 1000, latency.max / 1000, non200_text,
                         e.connect, e.read, e.write, e.timeout))
end
