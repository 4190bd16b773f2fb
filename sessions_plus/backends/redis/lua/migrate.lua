--! uses: session, write, records, legacy
-- migrate: rewrite a session of the previous layout (hash logs "seq -> <ms>\n<header>\n
-- <payload>", meta c:<stream> counts, req/res retry keys) in the current one, in place. TTL,
-- times, headers and payloads are kept; nothing else changes (updated stays).
-- KEYS: meta, docs, tokens, the log key of each declared stream, then the previous layout's
-- req and res keys (in the index keys' places: this script never touches the index).
-- Returns {1, expiry score (0: no TTL)} once migrated, {0} if there is nothing to migrate,
-- or {-10, stream...} if a stream of the session was not declared.
register('migrate', function()
  begin()
  load({})
  if not LEGACY then
    return {0}
  end
  local bad = undeclared(true)
  if bad then
    return bad
  end
  local pttl = rcall('PTTL', META)
  for i = 1, NS do
    local s = STREAMS[i]
    local count = tonumber(rcall('HGET', META, 'c:' .. s) or '0')
    if count > 0 then
      local records = legacy_range(LOGS[i], 1, count)
      rcall('DEL', LOGS[i])
      push_all(LOGS[i], records)
      if pttl > 0 then
        rcall('PEXPIRE', LOGS[i], pttl)
      end
      setf('l:' .. s, count)
      N = N + 1
    end
    delf('c:' .. s)
  end
  setf('n', N)
  if rcall('EXISTS', DOCS) == 1 then
    setf('d', 1)
  end
  local score = 0
  if pttl > 0 then
    score = now() + pttl
    setf('x', score)
  end
  rcall('DEL', KEYS[4 + NS], KEYS[5 + NS])
  flush()
  return {1, score}
end)
