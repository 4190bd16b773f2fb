-- pop: remove and return the latest record of the first declared stream.
-- Own ARGV: token. Returns {seq, record, created, expiry hint} or {0} if the stream is empty.
local TOKEN = ARGV[A]
local done = replayed(TOKEN)
if done then
  local sep = string.find(done, ' ', 1, true)
  return {tonumber(string.sub(done, 1, sep - 1)), string.sub(done, sep + 1), 0, 0}
end
load({})
local bad = undeclared(false)
if bad then
  return bad
end
if LAST[1] < FIRST[1] then -- empty, or no such stream or session
  return {0}
end
local seq = LAST[1]
local rec = rcall('RPOP', LOGS[1]) or (seq .. ' 0 \n')
begin_write()
set_range(1, FIRST[1], seq - 1)
remember(TOKEN, seq .. ' ' .. rec)
local created, hint = finish_write()
return {seq, rec, created, hint}
