-- list_sessions (standalone): one page of live sessions in session id order, from the index.
-- KEYS: index, expiry. ARGV: "0", "", key prefix, cursor ("" = from the start), limit.
-- Entries whose session is gone (expired or deleted) are removed from the index on the way.
-- Returns {server ms, id, pttl, {meta field, value, ...}, ...} with up to limit + 1 sessions
-- (one more than asked tells the caller another page exists).
local INDEX, EXPIRY, PREFIX = KEYS[1], KEYS[2], ARGV[3]
local want = tonumber(ARGV[5]) + 1
local start = '-'
if ARGV[4] ~= '' then
  start = '(' .. ARGV[4]
end
local out = {now()}
local found = 0
while found < want do
  local ids = redis.call('ZRANGEBYLEX', INDEX, start, '+', 'LIMIT', 0, want - found + 16)
  if #ids == 0 then
    break
  end
  for i = 1, #ids do
    local id = ids[i]
    local meta = PREFIX .. ':{' .. esc(id) .. '}:meta'
    local fields = redis.call('HGETALL', meta)
    if #fields == 0 then
      redis.call('ZREM', INDEX, id)
      redis.call('ZREM', EXPIRY, id)
    elseif found < want then
      found = found + 1
      out[#out + 1] = id
      out[#out + 1] = redis.call('PTTL', meta)
      out[#out + 1] = fields
    end
  end
  start = '(' .. ids[#ids]
end
return out
