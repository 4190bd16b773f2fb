-- delete: remove every key of the session and its index entries.
-- KEYS: meta. ARGV: ttl, sid. Returns 1 if a live session was there.
use_index(1)
local existed = 0
if live() then
  existed = 1
  local keys = {META, DOCS, REQ, RES}
  local fields = redis.call('HKEYS', META)
  for i = 1, #fields do
    if string.sub(fields[i], 1, 2) == 'c:' then
      keys[#keys + 1] = log_key(string.sub(fields[i], 3))
    end
  end
  redis.call('DEL', unpack(keys))
else
  redis.call('DEL', DOCS, REQ, RES)
end
if IDX then
  redis.call('ZREM', IDX, SID)
  redis.call('ZREM', EXP, SID)
end
return existed
