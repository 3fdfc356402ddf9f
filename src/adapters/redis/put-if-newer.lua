-- Writes account snapshots, each only when it is newer than what the key holds.
-- KEYS[i]  the account's key
-- ARGV     per key, three values: version, state ("<balance>:<pending debits>:<pending credits>"), time to live in milliseconds
-- A value is "<version>:<state>". Equal versions are left alone: they hold the same state.
-- Returns how many keys were written.
-- In a Redis Cluster a script may only touch keys of one slot: there the cache calls it with one key at a time.
local written = 0
for i, key in ipairs(KEYS) do
  local base = (i - 1) * 3
  local version = tonumber(ARGV[base + 1])
  local current = redis.call('GET', key)
  local held = current and tonumber(string.match(current, '^(%d+):'))
  if not held or held < version then
    redis.call('SET', key, ARGV[base + 1] .. ':' .. ARGV[base + 2], 'PX', ARGV[base + 3])
    written = written + 1
  end
end
return written
