-- info: KEYS: meta. ARGV: ttl, sid, refresh.
-- Returns {server ms, pttl of the session, meta field, value, ...} or nil if not live.
use_index(1)
if not live() then
  return nil
end
if ARGV[3] == '1' then
  touch()
end
local out = redis.call('HGETALL', META)
table.insert(out, 1, redis.call('PTTL', META))
table.insert(out, 1, now())
return out
