-- read: records with after < seq < before; with a limit the latest or the earliest of them.
-- KEYS: meta, log. ARGV: ttl, sid, stream, refresh (0/1), after, before ("" = none),
--       limit ("" = none), keep ("latest"/"earliest").
-- Returns {first seq, lengths, records}: the records of consecutive seqs concatenated into one
-- string, and their byte lengths separated by spaces (-1: missing). Three reply elements
-- instead of one per record: far cheaper to build here and to parse in the client.
use_index(2)
local n = count(ARGV[3]) -- 0 when the session does not exist
local lo = tonumber(ARGV[5]) + 1
local hi = n
if ARGV[6] ~= '' then
  hi = math.min(n, tonumber(ARGV[6]) - 1)
end
if ARGV[7] ~= '' then
  local limit = tonumber(ARGV[7])
  if ARGV[8] == 'latest' then
    lo = math.max(lo, hi - limit + 1)
  else
    hi = math.min(hi, lo + limit - 1)
  end
end
if ARGV[4] == '1' and (n > 0 or live()) then
  touch()
end
if lo > hi then
  return {lo, '', ''}
end
local vals = get_range(KEYS[2], lo, hi)
local lens = {}
for i = 1, #vals do
  local v = vals[i]
  if v then
    lens[i] = #v
  else
    lens[i] = -1
    vals[i] = ''
  end
end
return {lo, table.concat(lens, ' '), table.concat(vals)}
