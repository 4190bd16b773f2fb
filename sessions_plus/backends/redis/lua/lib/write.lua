-- Writes: meta updates collected into one HSET, stream ranges, creation, TTL.

-- The meta fields a write changes are collected (SET[1..NSET]: field, value, ...;
-- DEL[1..NDEL]: field, ...) and written by flush() in one HDEL and one HSET. An operation
-- never both sets and deletes one field; a field set twice takes the last value (HSET applies
-- its pairs in order).
local function setf(field, value)
  SET[NSET + 1] = field
  SET[NSET + 2] = value
  NSET = NSET + 2
end
local function delf(field)
  NDEL = NDEL + 1
  DEL[NDEL] = field
end

-- Record a stream's new range: first..last (first == last + 1: empty). A stream whose last
-- seq is 0 is forgotten (its next append starts at 1). last_s: last as a string, when the
-- caller has it already (see now_s).
local function set_range(i, first, last, last_s)
  local s = STREAMS[i]
  if last == 0 then
    if LAST[i] > 0 then
      N = N - 1
      setf('n', N)
    end
    delf('l:' .. s)
    delf('f:' .. s)
  else
    if LAST[i] == 0 then
      N = N + 1
      setf('n', N)
    end
    setf('l:' .. s, last_s or last)
    if first == 1 then
      if FIRST[i] ~= 1 then
        delf('f:' .. s)
      end
    else
      setf('f:' .. s, first)
    end
  end
  LAST[i], FIRST[i] = last, first
end


-- The session has (or may have) documents from now on: their key shares the TTL.
local function has_docs()
  if not HAS_DOCS then
    HAS_DOCS = true
    setf('d', 1)
  end
end

-- Start a write: create the session if it is absent (dropping stale leftovers of its keys)
-- and stamp updated.
local function begin_write()
  if not LIVE then
    CREATED = 1
    LIVE = true
    local stale = {DOCS} -- (not the tokens: a new incarnation's tokens may already be there)
    for i = 1, NS do
      stale[#stale + 1] = LOGS[i]
    end
    rcall('DEL', unpack(stale))
    setf('created', now_s())
    setf('n', N)
    if IDX then
      rcall('ZADD', IDX, 0, SID)
    end
  end
  setf('updated', now_s())
end

-- Start a write that replaces the whole session (fork, restore): drop every key of a live
-- one, forget its state, and create it afresh. Returns whether it had an expiry (for
-- end_replace).
local function begin_replace()
  local had_expiry = X ~= nil
  if LIVE then
    local keys = {META, DOCS, TOK}
    for i = 1, NS do
      keys[#keys + 1] = LOGS[i]
    end
    rcall('DEL', unpack(keys))
  end
  LIVE, N, X, HAS_DOCS = false, 0, nil, false
  for i = 1, NS do
    LAST[i], FIRST[i] = 0, 1
  end
  begin_write()
  return had_expiry
end

-- Write the collected meta fields: one HSET, at most one HDEL.
local function flush()
  if NDEL > 0 then
    rcall('HDEL', META, unpack(DEL, 1, NDEL))
  end
  if NSET > 0 then
    rcall('HSET', META, unpack(SET, 1, NSET))
  end
  NSET, NDEL = 0, 0
end

-- Write the collected meta fields, then slide (or remove) the TTL of every key of the
-- session (meta exists by then; the docs key only once the session had a document: meta
-- field d) and keep the expiry index close.
local function touch()
  if TTL == 0 and X == nil then -- no TTL, and none to remove: the common case
    flush()
    return
  end
  local keys = {META}
  if HAS_DOCS or LEGACY then
    keys[2] = DOCS
  end
  for i = 1, NS do
    keys[#keys + 1] = LOGS[i]
  end
  if TTL > 0 then
    local due = now() + TTL
    local stale = X == nil or due - X > EXPIRY_SLACK
    if stale then
      setf('x', due)
    end
    flush()
    for i = 1, #keys do
      rcall('PEXPIRE', keys[i], TTL)
    end
    if stale then
      if EXP then
        rcall('ZADD', EXP, due, SID)
      else
        EXPIRY_HINT = due
      end
    end
  else
    if X ~= nil then
      delf('x')
    end
    flush()
    if X ~= nil then
      for i = 1, #keys do
        rcall('PERSIST', keys[i])
      end
      if EXP then
        rcall('ZREM', EXP, SID)
      else
        EXPIRY_HINT = -1
      end
    end
  end
end

-- Finish a write: meta, TTL, expiry index. Returns the cluster hints {created, expiry}.
local function finish_write()
  touch()
  return CREATED, EXPIRY_HINT
end

-- Finish a write begun by begin_replace: a replaced session that had an expiry and now has
-- none leaves the expiry index (on a cluster the client does: the hint says -1).
local function end_replace(had_expiry)
  local created, hint = finish_write()
  if TTL == 0 and had_expiry then
    if EXP then
      rcall('ZREM', EXP, SID)
    else
      hint = -1
    end
  end
  return created, hint
end
