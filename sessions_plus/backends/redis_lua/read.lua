-- read: records with after < seq < before; with a limit the latest or the earliest of them.
-- KEYS: meta, docs, log. ARGV: ttl, sid, stream, refresh (0/1), after, before ("" = none),
--       limit ("" = none), keep ("latest"/"earliest").
-- Returns {first seq, record...} (records of consecutive seqs).
use_index(3)
if not live() then
  return {0}
end
local n = count(ARGV[3])
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
if ARGV[4] == '1' then
  touch()
end
if lo > hi then
  return {lo}
end
local out = get_range(KEYS[3], lo, hi)
table.insert(out, 1, lo)
return out
