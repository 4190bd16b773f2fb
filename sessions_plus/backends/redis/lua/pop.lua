--! uses: session, write, replay
-- pop: remove and return the latest record of the first declared stream.
-- Own ARGV: token. Returns {seq, record, created, expiry hint} or {0} if the stream is empty.
local function pop_again(done) -- the reply of the first run, from its stored result
  local sep = string.find(done, ' ', 1, true)
  return {tonumber(string.sub(done, 1, sep - 1)), string.sub(done, sep + 1), 0, 0}
end

register('pop', function()
  begin()
  local TOKEN = ARGV[A]
  load({})
  local bad = undeclared(false)
  if bad then
    return bad
  end
  if LAST[1] < FIRST[1] then -- empty, or no such stream or session
    local done = replayed(TOKEN) -- a retry of the pop that emptied it
    if done then
      return pop_again(done)
    end
    return {0}
  end
  local seq = LAST[1]
  local rec = rcall('RPOP', LOGS[1]) or (seq .. ' 0 \n')
  local done = claim(TOKEN, seq .. ' ' .. rec)
  if done then
    rcall('RPUSH', LOGS[1], rec) -- a retry: put it back (atomic, so never seen)
    return pop_again(done)
  end
  begin_write()
  set_range(1, FIRST[1], seq - 1)
  local created, hint = finish_write()
  return {seq, rec, created, hint}
end)
