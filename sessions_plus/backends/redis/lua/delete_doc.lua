--! uses: session, write
-- delete_doc: Own ARGV: name. Returns {1, created, hint} if the document existed, else {0}.
register('delete_doc', function()
  begin()
  load({})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  if not LIVE or rcall('HDEL', DOCS, ARGV[A]) == 0 then
    return {0}
  end
  begin_write()
  local created, hint = finish_write()
  return {1, created, hint}
end)
