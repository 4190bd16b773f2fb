-- append / splice: drop seqs >= start and write the payloads from there, atomically.
-- KEYS: meta, docs, log. ARGV: ttl, sid, stream, header, if_last_seq ("" = any),
--       start ("" = append after the last seq), token, payload...
-- Returns {first seq, created} or {-1, last seq} on conflict, {-2, last seq} if start is past
-- the end.
use_index(3)
local LOG, STREAM, HDR, TOKEN = KEYS[3], ARGV[3], ARGV[4], ARGV[7]
local done = replayed(TOKEN)
if done then
  local sep = string.find(done, ' ', 1, true)
  return {tonumber(string.sub(done, 1, sep - 1)), tonumber(string.sub(done, sep + 1))}
end
local n = 0
if live() then
  n = count(STREAM)
end
if ARGV[5] ~= '' and tonumber(ARGV[5]) ~= n then
  return {-1, n}
end
local start = n + 1
if ARGV[6] ~= '' then
  start = tonumber(ARGV[6])
end
if start > n + 1 then
  return {-2, n}
end
local created = begin_write({LOG})
if start <= n then
  del_range(LOG, start, n)
end
local prefix = NOW .. '\n' .. HDR .. '\n'
local total = #ARGV - 7
local i = 1
while i <= total do
  local e = math.min(total, i + 499)
  local args = {}
  for j = i, e do
    args[#args + 1] = start + j - 1
    args[#args + 1] = prefix .. ARGV[7 + j]
  end
  redis.call('HSET', LOG, unpack(args))
  i = e + 1
end
set_count(STREAM, start - 1 + total, LOG)
remember(TOKEN, start .. ' ' .. created)
touch()
return {start, created}
