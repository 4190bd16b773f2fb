--! uses: session, write
-- trim: drop the oldest records of the first declared stream so at most keep remain; the
-- last seq stays. Own ARGV: keep. Returns {dropped, created, hint}, or {-1} if not live.
register('trim', function()
  begin()
  load({})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  if not LIVE then
    return {-1}
  end
  local keep = tonumber(ARGV[A])
  local first, last = FIRST[1], LAST[1]
  local dropped = math.max(0, last - first + 1 - keep)
  begin_write()
  if dropped > 0 then
    if keep == 0 then
      rcall('DEL', LOGS[1])
    else
      rcall('LTRIM', LOGS[1], dropped, -1)
    end
    set_range(1, first + dropped, last)
  end
  local created, hint = finish_write()
  return {dropped, created, hint}
end)
