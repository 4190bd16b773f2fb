-- append / splice: drop seqs >= start and write the payloads from there, atomically.
-- KEYS: meta, log. ARGV: ttl, sid, stream, header, if_last_seq ("" = any),
--       start ("" = append after the last seq), token, payload...
-- Returns {first seq, created} or {-1, last seq} on conflict, {-2, last seq} if start is past
-- the end.
use_index(2)
local LOG, STREAM, HDR, TOKEN = KEYS[2], ARGV[3], ARGV[4], ARGV[7]
local done = replayed(TOKEN)
if done then
  local sep = string.find(done, ' ', 1, true)
  return {tonumber(string.sub(done, 1, sep - 1)), tonumber(string.sub(done, sep + 1))}
end
-- One HMGET tells whether the session exists (created is always set) and the stream's count.
local got = redis.call('HMGET', META, 'created', 'c:' .. STREAM)
LIVE = got[1] ~= false
local n = tonumber(got[2] or '0')
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
local total = #ARGV - 7
local last = start - 1 + total
local created
if last > 0 then
  created = begin_write({LOG}, 'c:' .. STREAM, last)
else
  created = begin_write({LOG})
end
if start <= n then
  del_range(LOG, start, n)
end
local prefix = now() .. '\n' .. HDR .. '\n'
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
if last == 0 then
  set_count(STREAM, 0, LOG)
end
remember(TOKEN, start .. ' ' .. created)
touch()
return {start, created}
