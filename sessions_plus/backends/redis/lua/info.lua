--! uses: session, write
-- info: Own ARGV: refresh (0/1). Returns {1, server ms, pttl, {meta field, value, ...}} or
-- {0} if the session is not live.
register('info', function()
  begin()
  load({})
  if not LIVE then
    return {0}
  end
  if ARGV[A] == '1' then
    local bad = undeclared(true)
    if bad then
      return bad
    end
    touch()
  end
  return {1, now(), rcall('PTTL', META), rcall('HGETALL', META)}
end)
