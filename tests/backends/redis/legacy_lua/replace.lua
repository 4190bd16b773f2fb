-- replace: overwrite the payload of one record, keeping its seq and header.
-- KEYS: meta, log. ARGV: ttl, sid, stream, seq, payload. Returns 1, or 0 if not found.
use_index(2)
if not live() then
  return 0
end
local LOG, seq = KEYS[2], tonumber(ARGV[4])
if seq > count(ARGV[3]) then
  return 0
end
local old = redis.call('HGET', LOG, seq) or '0\n\n'
local p = string.find(old, '\n', 1, true)
local q = string.find(old, '\n', p + 1, true)
redis.call('HSET', LOG, seq, string.sub(old, 1, q) .. ARGV[5])
begin_write({})
touch()
return 1
