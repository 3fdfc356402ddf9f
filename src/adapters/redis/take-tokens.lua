-- A token bucket shared by every instance: refills it to now (Redis's clock, the same for all),
-- then grants up to ARGV[3] tokens from it.
-- KEYS[1]  the bucket: a hash of tokens (a fraction) and at (milliseconds)
-- ARGV     tokens per millisecond, burst, tokens wanted
-- Returns  {tokens granted, whole tokens left, milliseconds until the next token when none was granted}
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
-- Gone once it would be full again: a missing bucket reads as full.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
local wait = 0
if granted < 1 then wait = math.ceil((1 - tokens) / rate) end
return {granted, math.floor(tokens), wait}
