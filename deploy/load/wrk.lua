-- wrk script for deploy/load/run.sh, configured through environment variables:
--   WRK_BODY          file holding a JSON body: the request becomes a POST with it (unset: GET)
--   WRK_RATE          target requests/s over all threads. wrk has no constant-rate mode: each thread keeps a
--                     schedule of send times 1/rate apart (a monotonic clock read through LuaJIT's FFI) and
--                     delays each connection's next request to the next free slot. Unlike wrk2, latency is
--                     measured from the actual send, not the scheduled one (no coordinated-omission
--                     correction). 0 or unset: flat out.
--   WRK_THREADS       the -t given to wrk (to share the request cap)
--   WRK_MAX_REQUESTS  stop after about this many requests in all; 0 or unset: no cap (wrk -d bounds the time)
--   WRK_LABEL         name printed on the RESULT line
--   WRK_SESSIONS      space-separated session ids: each request POSTs one token to /sessions/ID/tokens, the sessions in
--                     turn, the tokens of WRK_TOKENS in turn for each session (a running text of sentences)
--   WRK_TOKENS        space-separated tokens for WRK_SESSIONS ("</s>" among them ends a sentence)
local body_file = os.getenv("WRK_BODY")
local rate = tonumber(os.getenv("WRK_RATE") or "0") or 0
local threads = tonumber(os.getenv("WRK_THREADS") or "1") or 1
local max_requests = tonumber(os.getenv("WRK_MAX_REQUESTS") or "0") or 0
local label = os.getenv("WRK_LABEL") or "run"
local sessions = {}
for id in string.gmatch(os.getenv("WRK_SESSIONS") or "", "%S+") do sessions[#sessions + 1] = id end
local tokens = {}
for token in string.gmatch(os.getenv("WRK_TOKENS") or "", "%S+") do tokens[#tokens + 1] = token end

function init(args)
   if body_file and body_file ~= "" then
      local file = assert(io.open(body_file, "rb"))
      wrk.method = "POST"
      wrk.body = file:read("*a")
      wrk.headers["Content-Type"] = "application/json"
      file:close()
   end
   sent = 0
   cap = max_requests / threads
   request_text = wrk.format()
   if #sessions > 0 then
      -- One request per session and token, formatted once: [session][token].
      session_requests = {}
      local headers = { ["Content-Type"] = "application/json" }
      for i, id in ipairs(sessions) do
         session_requests[i] = {}
         for j, token in ipairs(tokens) do
            session_requests[i][j] = wrk.format("POST", "/sessions/" .. id .. "/tokens", headers, '{"tokens":["' .. token .. '"]}')
         end
      end
   end
end

function request()
   sent = sent + 1
   if cap > 0 and sent > cap then
      wrk.thread:stop()
   end
   if session_requests then
      local session = (sent - 1) % #sessions + 1
      local token = math.floor((sent - 1) / #sessions) % #tokens + 1
      return session_requests[session][token]
   end
   return request_text
end

if rate > 0 then
   local ffi = require("ffi")
   ffi.cdef [[
      typedef struct { long tv_sec; long tv_nsec; } rnnlm_timespec;
      int clock_gettime(int clock, rnnlm_timespec *time);
   ]]
   local CLOCK_MONOTONIC = 1
   local clock = ffi.new("rnnlm_timespec")
   local function now_ms()
      ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
      return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
   end

   local interval = threads * 1000 / rate
   local slot = nil
   function delay()
      local now = now_ms()
      -- After a stall of more than a second, start a new schedule rather than send a burst.
      if slot == nil or slot < now - 1000 then
         slot = now
      end
      slot = slot + interval
      local wait = slot - now
      return wait > 0 and math.floor(wait) or 0
   end
end

function done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "RESULT %s requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
      label, summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency:percentile(99.9) / 1000, latency.max / 1000,
      e.status, e.connect + e.read + e.write + e.timeout))
end
