-- pop: remove and return the latest record of a stream.
-- KEYS: meta, log. ARGV: ttl, sid, stream, token. Returns {seq, record} or nil if empty.
use_index(2)
local done = replayed(ARGV[4])
if done then
  local sep = string.find(done, '\n', 1, true)
  return {tonumber(string.sub(done, 1, sep - 1)), string.sub(done, sep + 1)}
end
if not live() then
  return nil
end
local LOG, STREAM = KEYS[2], ARGV[3]
local n = count(STREAM)
if n == 0 then
  return nil
end
local rec = redis.call('HGET', LOG, n) or ''
redis.call('HDEL', LOG, n)
begin_write({})
set_count(STREAM, n - 1, LOG)
remember(ARGV[4], n .. '\n' .. rec)
touch()
return {n, rec}
