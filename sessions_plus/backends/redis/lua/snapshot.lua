--! uses: session, legacy
-- snapshot: one consistent copy of the session (both layouts), every stream declared.
-- Returns {1, created, updated, {doc name, payload, ...}, {stream, first, last, record...},
-- ...} (streams that exist), or {0} if the session is not live.
register('snapshot', function()
  begin()
  load({'updated'})
  if not LIVE then
    return {0}
  end
  local bad = undeclared(true)
  if bad then
    return bad
  end
  local out = {1, CREATED_AT, EXTRA[1], rcall('HGETALL', DOCS)}
  for i = 1, NS do
    local first, last, records = FIRST[i], LAST[i], {}
    if LEGACY then
      first, last = 1, tonumber(rcall('HGET', META, 'c:' .. STREAMS[i]) or '0')
      if last > 0 then
        records = legacy_range(LOGS[i], 1, last)
      end
    elseif last >= first then
      records = rcall('LRANGE', LOGS[i], 0, -1)
    end
    if last > 0 then
      table.insert(records, 1, last)
      table.insert(records, 1, first)
      table.insert(records, 1, STREAMS[i])
      out[#out + 1] = records
    end
  end
  return out
end)
