--! uses: session, write, records, replay
-- append / splice: drop seqs >= start and write the payloads from there, atomically; with
-- max_records keep only the newest that many. The first declared stream is written.
-- Own ARGV: header, if_last_seq ("" = any), start ("" = after the last seq), token,
-- max_records ("" = none), payload...
-- Returns {first seq written, created, expiry hint}, {-1, last} on conflict, {-2, last} if
-- start is past the end (or a stream/layout answer, see lib/session.lua).
local function splice_again(done) -- the reply of the first run, from its stored result
  local sep = string.find(done, ' ', 1, true)
  return {tonumber(string.sub(done, 1, sep - 1)), tonumber(string.sub(done, sep + 1)), 0}
end

register('splice', function()
  begin()
  local HDR, IFLAST, START, TOKEN, MAX = ARGV[A], ARGV[A + 1], ARGV[A + 2], ARGV[A + 3], ARGV[A + 4]
  load({})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  local key, last, first = LOGS[1], LAST[1], FIRST[1]
  local start = last + 1
  if START ~= '' then
    start = tonumber(START)
  end
  if (IFLAST ~= '' and tonumber(IFLAST) ~= last) or start > last + 1 then
    local done = replayed(TOKEN) -- a retry of a write that moved the stream on
    if done then
      return splice_again(done)
    end
    if start > last + 1 then
      return {-2, last}
    end
    return {-1, last}
  end
  local start_s = start .. ''
  local done = claim(TOKEN, start_s .. (LIVE and ' 0' or ' 1'))
  if done then
    return splice_again(done)
  end
  begin_write()
  local len = last - first + 1
  if start <= last then
    if start <= first then
      rcall('DEL', key)
      len = 0
    else
      rcall('LTRIM', key, 0, start - first - 1)
      len = start - first
    end
  end
  local total = #ARGV - A - 4
  local newlast = start - 1 + total
  local last_s = nil
  if total > 0 then
    local pre = ' ' .. now_s() .. ' ' .. HDR .. '\n'
    local values = {start_s .. pre .. ARGV[A + 5]}
    last_s = start_s
    for j = 2, total do
      last_s = (start + j - 1) .. ''
      values[j] = last_s .. pre .. ARGV[A + 4 + j]
    end
    len = push_all(key, values)
    if MAX ~= '' and len > tonumber(MAX) then
      len = tonumber(MAX)
      rcall('LTRIM', key, -len, -1)
    end
  end
  set_range(1, newlast - len + 1, newlast, last_s)
  local created, hint = finish_write()
  return {start, created, hint}
end)
