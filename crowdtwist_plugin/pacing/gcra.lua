-- One rate budget shared by every worker using an API key: rules.reserve and
-- rules.penalise (crowdtwist_plugin/pacing/rules.py) on Redis's clock, line for line, in
-- one atomic script (one round trip per call). Read rules.py for the why.
--
-- KEYS[1]  the budget's hash: rate, ceiling, adjusted, tat, paused_until, last_cut
-- ARGV[1]  "reserve" or "penalise"      ARGV[2]  target rate (starts per second)
-- ARGV[3]  burst (starts at once)       ARGV[4]  pause (penalise: seconds)
-- ARGV[5]  utilization                  ARGV[6]  "" (Redis TIME) or a clock (tests only)
-- ARGV[7]  started (penalise: when the refused request started, Redis clock)
-- ARGV[8..13]  DECREASE, RECOVERY_PER_SECOND, MIN_RATE_FRACTION,
--              CEILING_CREEP_PER_SECOND, CEILING_QUIET, IDLE_SECONDS
-- Returns {wait or pause left, now, rate} as strings: Redis truncates Lua numbers.

local key = KEYS[1]
local mode = ARGV[1]
local target = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local pause = tonumber(ARGV[4])
local utilization = tonumber(ARGV[5])
local started = tonumber(ARGV[7])
local decrease = tonumber(ARGV[8])
local recovery = tonumber(ARGV[9])
local floor = target * tonumber(ARGV[10])
local creep_per_second = tonumber(ARGV[11])
local quiet_seconds = tonumber(ARGV[12])
local idle = tonumber(ARGV[13])

local now
if ARGV[6] ~= "" then
  now = tonumber(ARGV[6])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
end

local state = redis.call('HMGET', key, 'rate', 'ceiling', 'adjusted', 'tat', 'paused_until',
  'last_cut')
local rate = tonumber(state[1]) or target
local ceiling = tonumber(state[2]) or target
local adjusted = tonumber(state[3]) or now
local tat = tonumber(state[4])
local paused_until = tonumber(state[5]) or 0
local last_cut = tonumber(state[6])

-- _recover
local elapsed = math.max(0, now - adjusted)
local quiet = math.huge
if last_cut then
  quiet = now - last_cut - quiet_seconds
end
if quiet > 0 and ceiling < target then
  ceiling = math.min(target, ceiling + target * creep_per_second * math.min(elapsed, quiet))
end
if rate < ceiling then
  rate = rate + target * recovery * elapsed
end
rate = math.max(floor, math.min(rate, ceiling, target))

local result
if mode == 'reserve' then
  local slot = math.max(now - (burst - 1) / target, paused_until)
  if tat then
    slot = math.max(slot, tat)
  end
  tat = slot + 1 / rate
  result = math.max(0, slot - now)
elseif mode == 'penalise' then
  paused_until = math.max(paused_until, now + pause)
  if not last_cut or started >= last_cut or now < last_cut then
    if tat and tat - now >= 1 / rate then
      ceiling = math.max(floor, math.min(target, rate * utilization))
    end
    rate = math.max(floor, rate * decrease)
    last_cut = now
  end
  result = paused_until - now
else
  return redis.error_reply('unknown mode')
end

local function fmt(x)
  return string.format('%.17g', x)
end

local fields = {'rate', fmt(rate), 'ceiling', fmt(ceiling), 'adjusted', fmt(now),
  'paused_until', fmt(paused_until)}
if tat then
  fields[#fields + 1] = 'tat'
  fields[#fields + 1] = fmt(tat)
end
if last_cut then
  fields[#fields + 1] = 'last_cut'
  fields[#fields + 1] = fmt(last_cut)
end
redis.call('HSET', key, unpack(fields))

-- Kept while reservations are queued or a pause runs, then long enough for a lowered rate
-- to recover; an expired budget restarts at the target rate with full burst credit.
local busy = math.max(tat or now, paused_until, now) - now
local keep = busy + math.max(idle, 4 / rate, 1 / recovery)
redis.call('PEXPIRE', key, math.ceil(keep * 1000))

return {fmt(result), fmt(now), fmt(rate)}
