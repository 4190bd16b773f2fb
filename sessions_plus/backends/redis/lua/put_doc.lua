--! uses: session, write
-- put_doc: write a whole document. Own ARGV: name, payload, condition ("absent": only if no
-- such document, "exists": only if there is one, "": always).
-- Returns {written (0/1), created, hint}.
register('put_doc', function()
  begin()
  load({})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  local name = ARGV[A]
  if ARGV[A + 2] ~= '' then
    local present = LIVE and rcall('HEXISTS', DOCS, name) == 1
    if present ~= (ARGV[A + 2] == 'exists') then
      return {0, 0, 0}
    end
  end
  begin_write()
  has_docs()
  rcall('HSET', DOCS, name, ARGV[A + 1])
  local created, hint = finish_write()
  return {1, created, hint}
end)
