-- SPDX-License-Identifier: Apache-2.0
-- wrk's script for bench/api_bench.sh: the hash-check API under load.
--   wrk ... -s bench/wrk_api.lua URL -- MODE KEY FILE [BATCH]
-- MODE pdq:    POST /v1/pdq/ with BATCH (default 1) hashes a request, the
--              base64 column of FILE ("<hex> <base64>" lines) in turn;
--      lookup: GET /m/lookup?signal_type=pdq&signal=<hex>, the hex column;
--      media:  POST /v1/media/ with the bytes of each file FILE lists
--              (one path a line), Content-Type from its extension;
--      get:    GET of the URL's path (the HTTP floor: /healthz).
-- Each thread builds its requests once and cycles them, starting at its
-- own offset.  done() prints one line: BENCH rps=... p50=... p99=...
-- (latency in microseconds) requests=... errors=... (socket errors and
-- answers that are not 2xx).
local threads = {}
local reqs, at = {}, 0

function setup(t)
  t:set("id", #threads)
  table.insert(threads, t)
end

local function lines(path)
  local out = {}
  for l in io.lines(path) do
    if l ~= "" then out[#out + 1] = l end
  end
  return out
end

local types = { jpg = "image/jpeg", jpeg = "image/jpeg", png = "image/png",
                webp = "image/webp", gif = "image/gif", bmp = "image/bmp" }

local builders = {}

function builders.pdq(key, file, batch)
  local b64 = {}
  for _, l in ipairs(lines(file)) do
    b64[#b64 + 1] = '"' .. l:match("^%x+ (%S+)$") .. '"'
  end
  local h = { Authorization = "Bearer " .. key,
              ["Content-Type"] = "application/json" }
  for s = 1, #b64 - batch + 1, batch do
    local body = '{"hashes":[' .. table.concat(b64, ",", s, s + batch - 1)
                 .. ']}'
    reqs[#reqs + 1] = wrk.format("POST", "/v1/pdq/", h, body)
  end
end

function builders.lookup(key, file)
  local h = { Authorization = "Bearer " .. key }
  for _, l in ipairs(lines(file)) do
    reqs[#reqs + 1] = wrk.format("GET", "/m/lookup?signal_type=pdq&signal="
                                 .. l:match("^(%x+)"), h)
  end
end

function builders.media(key, file)
  for _, path in ipairs(lines(file)) do
    local f = assert(io.open(path, "rb"))
    local body = f:read("*a")
    f:close()
    local h = { Authorization = "Bearer " .. key,
                ["Content-Type"] = types[path:match("%.(%w+)$"):lower()]
                                   or "application/octet-stream" }
    reqs[#reqs + 1] = wrk.format("POST", "/v1/media/", h, body)
  end
end

function builders.get()
  reqs[1] = wrk.format("GET", wrk.path)
end

function init(args)
  local build = assert(builders[args[1]], "MODE: pdq, lookup, media or get")
  build(args[2], args[3], tonumber(args[4] or "1"))
  assert(#reqs > 0, "no requests")
  at = (id * 7919) % #reqs
end

function request()
  at = at % #reqs + 1
  return reqs[at]
end

function done(s, lat)
  local e = s.errors
  io.write(string.format("BENCH rps=%.1f p50=%d p99=%d requests=%d errors=%d\n",
    s.requests / (s.duration / 1e6), lat:percentile(50), lat:percentile(99),
    s.requests, e.connect + e.read + e.write + e.timeout + e.status))
end
