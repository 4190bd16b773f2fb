--! uses: session, write
-- docs: read one document (own ARGV: name) or, with name "", every document name; slides the
-- TTL (used only by stores with refresh_on_read: other reads are a plain HGET / HKEYS).
-- Returns {1, payload or names} or {0} if the session is not live.
register('docs', function()
  begin()
  load({})
  if not LIVE then
    return {0}
  end
  local bad = undeclared(true)
  if bad then
    return bad
  end
  touch()
  if ARGV[A] == '' then
    return {1, rcall('HKEYS', DOCS)}
  end
  return {1, rcall('HGET', DOCS, ARGV[A])}
end)
