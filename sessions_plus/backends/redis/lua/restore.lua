--! uses: session, write, records
-- restore: write a whole session from a snapshot, replacing what is there (all or nothing).
-- Declared: every stream of the target and of the snapshot. Own ARGV: replace (0/1), created
-- ms ("" = now), document count d, d pairs (name, payload), then per snapshot stream: its
-- position among the declared streams, first, last, record count r, r stored records.
-- Returns {1, server ms, created, expiry hint}, or {-1} if a live session is there and
-- replace is 0.
register('restore', function()
  begin()
  load({})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  if LIVE and ARGV[A] ~= '1' then
    return {-1}
  end
  local had_expiry = begin_replace()
  if ARGV[A + 1] ~= '' then
    setf('created', ARGV[A + 1])
  end
  local p = A + 3
  local docs = tonumber(ARGV[A + 2])
  if docs > 0 then
    has_docs()
  end
  local j = 0
  while j < docs do
    local e = math.min(docs, j + 2000)
    local values = {}
    for q = j, e - 1 do
      values[#values + 1] = ARGV[p + 2 * q]
      values[#values + 1] = ARGV[p + 2 * q + 1]
    end
    rcall('HSET', DOCS, unpack(values))
    j = e
  end
  p = p + 2 * docs
  while p <= #ARGV do
    local i, first, last, count = tonumber(ARGV[p]), tonumber(ARGV[p + 1]),
      tonumber(ARGV[p + 2]), tonumber(ARGV[p + 3])
    p = p + 4
    if count > 0 then
      local values = {}
      for q = 1, count do
        values[q] = ARGV[p + q - 1]
      end
      push_all(LOGS[i], values)
    end
    p = p + count
    if last > 0 then
      set_range(i, first, last)
    end
  end
  local created, hint = end_replace(had_expiry)
  return {1, now(), created, hint}
end)
