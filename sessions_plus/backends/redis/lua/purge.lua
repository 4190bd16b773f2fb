--! uses: 
-- purge (standalone): one batch of expiry-set candidates. KEYS: index, expiry, then the meta
-- key of each candidate; ARGV: the candidates' session ids. A session whose keys are gone
-- loses its index entries (counted); a live one is re-scored to its real expiry.
-- Returns the number of index entries removed.
register('purge', function()
  local INDEX, EXPIRY = KEYS[1], KEYS[2]
  local t = rcall('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local removed = 0
  for i = 1, #ARGV do
    local pttl = rcall('PTTL', KEYS[2 + i])
    if pttl == -2 then
      removed = removed + rcall('ZREM', INDEX, ARGV[i])
      rcall('ZREM', EXPIRY, ARGV[i])
    elseif pttl == -1 then
      rcall('ZREM', EXPIRY, ARGV[i])
    else
      rcall('ZADD', EXPIRY, now + pttl, ARGV[i])
    end
  end
  return removed
end)
