--! uses: session, write
-- clear: empty and forget the first declared stream (its next append gets seq 1); documents
-- and other streams stay. Returns {1, created, hint}, or {0} if there is no live session.
register('clear', function()
  begin()
  load({})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  if not LIVE then
    return {0}
  end
  rcall('DEL', LOGS[1])
  set_range(1, 1, 0)
  begin_write()
  local created, hint = finish_write()
  return {1, created, hint}
end)
