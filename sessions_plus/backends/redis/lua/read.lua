--! uses: session, write, legacy
-- read: the records of the first declared stream with after < seq < before; with a limit the
-- latest or the earliest of them. Reads both layouts; never writes (except a TTL refresh).
-- Own ARGV: refresh (0/1), after, before ("" = none), limit ("" = none), keep.
-- Returns {seq of the first record returned, record...}.
register('read', function()
  begin()
  load({})
  if ARGV[A] == '1' and LIVE then
    local bad = undeclared(true)
    if bad then
      return bad
    end
    touch()
  end
  local first, last = FIRST[1], LAST[1]
  if LEGACY then
    first, last = 1, tonumber(rcall('HGET', META, 'c:' .. STREAMS[1]) or '0')
  end
  local lo, hi = math.max(first, tonumber(ARGV[A + 1]) + 1), last
  if ARGV[A + 2] ~= '' then
    hi = math.min(hi, tonumber(ARGV[A + 2]) - 1)
  end
  if ARGV[A + 3] ~= '' then
    local limit = tonumber(ARGV[A + 3])
    if ARGV[A + 4] == 'latest' then
      lo = math.max(lo, hi - limit + 1)
    else
      hi = math.min(hi, lo + limit - 1)
    end
  end
  if lo > hi then
    return {lo}
  end
  local out
  if LEGACY then
    out = legacy_range(LOGS[1], lo, hi)
  else
    out = rcall('LRANGE', LOGS[1], lo - first, hi - first)
  end
  table.insert(out, 1, lo)
  return out
end)
