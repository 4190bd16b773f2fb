--! uses: session
-- delete: remove every key of the session (and, standalone, its index entries).
-- Own ARGV: updated_before in ms ("" = always). Returns {1} if a live session was removed,
-- {2} if it was kept (written to since updated_before), {0} if there was none.
register('delete', function()
  begin()
  load({'updated'})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  if LIVE and ARGV[A] ~= '' and tonumber(EXTRA[1]) >= tonumber(ARGV[A]) then
    return {2}
  end
  local keys = {META, DOCS, TOK}
  for i = 1, NS do
    keys[#keys + 1] = LOGS[i]
  end
  rcall('DEL', unpack(keys))
  if IDX then
    rcall('ZREM', IDX, SID)
    rcall('ZREM', EXP, SID)
  end
  if LIVE then
    return {1}
  end
  return {0}
end)
