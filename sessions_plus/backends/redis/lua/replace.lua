--! uses: session, write
-- replace: overwrite the payload of one record of the first declared stream, keeping its seq,
-- time and header. Own ARGV: seq, payload. Returns {1, created, hint}, or {0} if not found.
register('replace', function()
  begin()
  load({})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  local seq = tonumber(ARGV[A])
  if seq < FIRST[1] or seq > LAST[1] then
    return {0}
  end
  local index = seq - FIRST[1]
  local old = rcall('LINDEX', LOGS[1], index) or ''
  local p = string.find(old, '\n', 1, true)
  if not p then
    old, p = seq .. ' 0 \n', #(seq .. ' 0 \n')
  end
  rcall('LSET', LOGS[1], index, string.sub(old, 1, p) .. ARGV[A + 1])
  begin_write()
  local created, hint = finish_write()
  return {1, created, hint}
end)
