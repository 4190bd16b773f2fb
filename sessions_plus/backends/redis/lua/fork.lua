--! uses: session, write, records
-- fork (standalone): copy a session into another in one atomic step. The target follows the
-- calling convention (its first k declared streams are the source streams copied, then its
-- own other streams); after the index keys come the source's meta, docs and the log keys of
-- the k source streams. Own ARGV: replace (0/1), every (1: the k streams must be all the
-- source's streams), k, the k stream names, k upper bounds ("" = none).
-- Returns {1, server ms, created, hint, stream, first, last, ...} (the target's streams),
-- {-1} if the target is live (and not replace), {-2} if the source is not, {-12, stream...}
-- if the source is in the previous layout, {-13, stream...} if a source stream is missing.
register('fork', function()
  begin()
  load({})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  local REPLACE, EVERY, K = ARGV[A] == '1', ARGV[A + 1] == '1', tonumber(ARGV[A + 2])
  local SMETA, SDOCS = KEYS[6 + NS], KEYS[7 + NS]
  local fields = {'created', 'n'}
  for j = 1, K do
    fields[#fields + 1] = 'l:' .. ARGV[A + 2 + j]
    fields[#fields + 1] = 'f:' .. ARGV[A + 2 + j]
  end
  local got = rcall('HMGET', SMETA, unpack(fields))
  if not got[1] then
    return {-2}
  end
  if not got[2] then
    local names = stream_names('c:', SMETA)
    table.insert(names, 1, -12)
    return names
  end
  if EVERY then
    local present = 0
    for j = 1, K do
      if got[1 + 2 * j] then
        present = present + 1
      end
    end
    if present ~= tonumber(got[2]) then
      local names = stream_names('l:', SMETA)
      table.insert(names, 1, -13)
      return names
    end
  end
  if LIVE and not REPLACE then
    return {-1}
  end
  local had_expiry = begin_replace()
  local docs = rcall('HGETALL', SDOCS)
  if #docs > 0 then
    has_docs()
  end
  local d = 1
  while d <= #docs do
    local e = math.min(#docs, d + 3999)
    rcall('HSET', DOCS, unpack(docs, d, e))
    d = e + 1
  end
  local out = {1, 0, 0, 0}
  for j = 1, K do
    local last = tonumber(got[1 + 2 * j] or '0')
    local first = tonumber(got[2 + 2 * j] or '1')
    local bound = ARGV[A + 2 + K + j]
    local records = nil
    if last > 0 and (bound == '' or tonumber(bound) >= last) then
      records = rcall('LRANGE', KEYS[7 + NS + j], 0, -1)
    elseif last > 0 then
      local b = tonumber(bound)
      if b >= first then
        records = rcall('LRANGE', KEYS[7 + NS + j], 0, b - first)
      else
        records = {}
        first = b + 1
      end
      last = b
    end
    if records and last > 0 then
      if #records > 0 then
        push_all(LOGS[j], records)
      end
      set_range(j, first, last)
      out[#out + 1] = STREAMS[j]
      out[#out + 1] = first
      out[#out + 1] = last
    end
  end
  local created, hint = end_replace(had_expiry)
  out[2], out[3], out[4] = now(), created, hint
  return out
end)
