-- Exactly-once under client retries: a call whose reply was lost is sent again by redis-py
-- with the same token; the second run returns the first run's result instead of writing
-- again. The tokens hash maps token -> "<w> <result>" for at least the last REPLAY_DEPTH
-- writes; meta field w counts the writes (every REPLAY_DEPTH of them the older tokens are
-- dropped) and e says when the tokens hash expires: at least REPLAY_TTL - 60 s after the last
-- write, far beyond any client retry, so an idle session keeps no tokens (the hash is not part
-- of the session's data and does not share its TTL). Tokens are unique, so the tokens of an
-- earlier incarnation of a session are harmless until they expire.

-- The result the first run of token stored, or nil (for paths that write nothing).
local function replayed(token)
  if token == '' then
    return nil
  end
  local stored = rcall('HGET', TOK, token)
  if not stored then
    return nil
  end
  return string.sub(stored, string.find(stored, ' ', 1, true) + 1)
end

-- Record token's result before the operation writes; if it is there already, this call is a
-- retry: return the first run's result (the operation then returns it and writes nothing).
local function claim(token, result)
  if token == '' then
    return nil
  end
  local w = (W + 1) .. ''
  if rcall('HSETNX', TOK, token, w .. ' ' .. result) == 0 then
    return replayed(token)
  end
  W = W + 1
  setf('w', w)
  if TOK_EXPIRES < now() + 60000 then
    rcall('PEXPIRE', TOK, REPLAY_TTL)
    setf('e', now() + REPLAY_TTL)
  end
  if W % REPLAY_DEPTH == 0 then
    local all = rcall('HGETALL', TOK)
    local old = {}
    for i = 1, #all, 2 do
      local w = tonumber(string.match(all[i + 1], '^(%d+) '))
      if w and w <= W - REPLAY_DEPTH then
        old[#old + 1] = all[i]
      end
    end
    if #old > 0 then
      rcall('HDEL', TOK, unpack(old))
    end
  end
  return nil
end
