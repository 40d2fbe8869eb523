-- One rate budget shared by every worker using an API key: GCRA reservations plus the
-- fleet-wide 429 policy, in one atomic script (one round trip per call).
--
-- KEYS[1]  the budget's hash: tat, rate, adjusted, paused_until, last_cut (Redis seconds)
-- ARGV[1]  "reserve" or "penalise"
-- ARGV[2]  target rate (starts per second)     ARGV[3]  burst (starts at once, >= 1)
-- ARGV[4]  pause (penalise: seconds)           ARGV[5]  decrease factor per episode
-- ARGV[6]  cut cooldown (seconds)              ARGV[7]  recovery (fraction of target / s)
-- ARGV[8]  rate floor (fraction of target)     ARGV[9]  idle seconds before the state expires
-- ARGV[10] "" (Redis TIME) or a clock value; only the golden tests pass one
--
-- tat is the slot of the next reservation when nobody has credit. A reservation arriving
-- at `now` takes slot = max(tat, now - tau, paused_until) with tau = (burst - 1) / target,
-- starts at max(slot, now) and moves tat to slot + 1 / rate. Slots only grow, so starts
-- are FIFO by arrival even while the rate changes; consecutive slots are at least
-- 1 / target apart and the first start of any window has its slot at most tau before the
-- window, so a window of t seconds holds at most target * t + burst starts.
-- Returns {wait or pause left, now, rate} as strings: Redis truncates Lua numbers.

local key = KEYS[1]
local mode = ARGV[1]
local target = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local pause = tonumber(ARGV[4])
local decrease = tonumber(ARGV[5])
local cooldown = tonumber(ARGV[6])
local recovery = tonumber(ARGV[7])
local floor = target * tonumber(ARGV[8])
local idle = tonumber(ARGV[9])

local now
if ARGV[10] ~= "" then
  now = tonumber(ARGV[10])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
end

local state = redis.call('HMGET', key, 'tat', 'rate', 'adjusted', 'paused_until', 'last_cut')
local tat = tonumber(state[1])
local rate = tonumber(state[2]) or target
local adjusted = tonumber(state[3]) or now
local paused_until = tonumber(state[4]) or 0
local last_cut = tonumber(state[5])

-- Additive recovery, shared: whoever calls next credits the time since the last change.
if rate < target and now > adjusted then
  rate = rate + target * recovery * (now - adjusted)
end
rate = math.max(floor, math.min(rate, target))

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
  -- 429s from requests that were in flight together are one episode: one cut.
  if not last_cut or now - last_cut >= cooldown or now < last_cut - cooldown then
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

local fields = {'rate', fmt(rate), 'adjusted', fmt(now), 'paused_until', fmt(paused_until)}
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
