-- purge_expired (standalone): drop index entries of sessions whose keys expired.
-- KEYS: index, expiry. ARGV: "0", "", key prefix, batch size.
-- Returns {removed, examined}; the caller repeats while examined == batch size.
local INDEX, EXPIRY, PREFIX = KEYS[1], KEYS[2], ARGV[3]
local ids = redis.call('ZRANGEBYSCORE', EXPIRY, '-inf', now(), 'LIMIT', 0, tonumber(ARGV[4]))
local removed = 0
for i = 1, #ids do
  local id = ids[i]
  local meta = PREFIX .. ':{' .. esc(id) .. '}:meta'
  local pttl = redis.call('PTTL', meta)
  if pttl == -2 then
    redis.call('ZREM', INDEX, id)
    redis.call('ZREM', EXPIRY, id)
    removed = removed + 1
  elseif pttl == -1 then
    redis.call('ZREM', EXPIRY, id)
  else
    redis.call('ZADD', EXPIRY, now() + pttl, id)
  end
end
return {removed, #ids}
