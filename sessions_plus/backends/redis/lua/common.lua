-- Shared prelude of the per-session scripts (prepended by scripts.py, after base.lua).
-- The key layout is described in sessions_plus/backends/redis/__init__.py.
--
-- Every key a script touches is declared in KEYS; no key name is built here. Calling
-- convention of the per-session scripts:
--   KEYS[1] meta, KEYS[2] docs, KEYS[3] tokens, KEYS[4 .. 3+k] log keys of the k declared
--   streams, then on standalone Redis the index and expiry sets (absent on a cluster: other
--   slots).
--   ARGV[1] TTL in ms ("0": never expires), ARGV[2] session id, ARGV[3] k,
--   ARGV[4 .. 3+k] the declared streams' names, ARGV[A ..] the script's own arguments.
-- A script that touches every stream of the session (TTL, delete, snapshot...) checks that the
-- declared streams are all of them (meta field n counts them) and otherwise answers
-- {-10, stream...} without writing anything: the client declares those and calls again.
-- A session of the previous layout (hash logs, c:<stream> counts, no n) is answered with
-- {-11, stream...} by writes: the client migrates it (migrate.lua) and calls again.

local META, DOCS, TOK = KEYS[1], KEYS[2], KEYS[3]
local TTL = tonumber(ARGV[1])
local SID = ARGV[2]
local NS = tonumber(ARGV[3])
local STREAMS, LOGS = {}, {}
for i = 1, NS do
  STREAMS[i] = ARGV[3 + i]
  LOGS[i] = KEYS[3 + i]
end
local IDX, EXP = KEYS[4 + NS], KEYS[5 + NS] -- nil on a cluster
local A = 4 + NS -- ARGV index of the script's first own argument
local REPLAY_DEPTH = 16
local REPLAY_TTL = 300000 -- ms the tokens of a session's last writes are kept after its last write
local EXPIRY_SLACK = 1000 -- ms an expiry index score may lag behind the real expiry

local NOW = nil
local function now()
  if not NOW then
    local t = rcall('TIME')
    NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return NOW
end

-- ------------------------------------------------------------------ session state

local LIVE, LEGACY = false, false
local CREATED_AT = nil -- the session's created (ms), once load() ran
local N, X = 0, nil -- stream count, expiry index score
local LAST, FIRST = {}, {} -- per declared stream: last seq (0: none), first seq
local EXTRA = {}

-- One HMGET: whether the session exists, its layout, n, x, and last/first of every declared
-- stream, plus the script's own fields (returned in EXTRA, in order).
local function load(extra)
  local fields = {'created', 'n', 'x'}
  for i = 1, NS do
    fields[#fields + 1] = 'l:' .. STREAMS[i]
    fields[#fields + 1] = 'f:' .. STREAMS[i]
  end
  for i = 1, #extra do
    fields[#fields + 1] = extra[i]
  end
  local got = rcall('HMGET', META, unpack(fields))
  LIVE = got[1] ~= false
  CREATED_AT = got[1]
  LEGACY = LIVE and got[2] == false
  N = tonumber(got[2] or '0')
  X = tonumber(got[3] or '')
  for i = 1, NS do
    LAST[i] = tonumber(got[2 + 2 * i] or '0')
    FIRST[i] = tonumber(got[3 + 2 * i] or '1')
  end
  for i = 1, #extra do
    EXTRA[i] = got[3 + 2 * NS + i]
  end
end

-- The streams of the session whose meta hash is key: those with an l: field (tag 'l:'), or
-- with a c: field in the previous layout (tag 'c:').
local function stream_names(tag, key)
  local names = rcall('HKEYS', key or META)
  local out = {}
  for i = 1, #names do
    if string.sub(names[i], 1, 2) == tag then
      out[#out + 1] = string.sub(names[i], 3)
    end
  end
  return out
end

-- nil if every stream of the session is declared (and the layout is current), else the reply
-- telling the client what to declare ({-10, ...}) or to migrate ({-11, ...}).
local function undeclared(allow_legacy)
  if not LIVE then
    return nil
  end
  if LEGACY then
    local out = stream_names('c:')
    if allow_legacy then
      local declared = {}
      for i = 1, NS do
        declared[STREAMS[i]] = true
      end
      for i = 1, #out do
        if not declared[out[i]] then
          table.insert(out, 1, -10)
          return out
        end
      end
      return nil
    end
    table.insert(out, 1, -11)
    return out
  end
  local present = 0
  for i = 1, NS do
    if LAST[i] > 0 then
      present = present + 1
    end
  end
  if present == N then
    return nil
  end
  local out = stream_names('l:')
  table.insert(out, 1, -10)
  return out
end

-- ------------------------------------------------------------------ meta updates, one HSET

local SETF, DELF = {}, {}
local function setf(field, value)
  SETF[field] = value
  DELF[field] = nil
end
local function delf(field)
  SETF[field] = nil
  DELF[field] = true
end

-- Record a stream's new range: first..last (first == last + 1: empty). A stream whose last
-- seq is 0 is forgotten (its next append starts at 1).
local function set_range(i, first, last)
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
    setf('l:' .. s, last)
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

local CREATED = 0
local W, TOK_EXPIRES = 0, 0 -- the tokens hash's write counter and expiry (see remember)
local EXPIRY_HINT = 0 -- cluster only: score the client adds to the expiry set (-1: remove)

-- Start a write: create the session if it is absent (dropping stale leftovers of its keys)
-- and stamp updated.
local function begin_write()
  if not LIVE then
    CREATED = 1
    LIVE = true
    local stale = {DOCS, TOK}
    for i = 1, NS do
      stale[#stale + 1] = LOGS[i]
    end
    rcall('DEL', unpack(stale))
    W, TOK_EXPIRES = 0, 0
    setf('created', now())
    setf('n', N)
    if IDX then
      rcall('ZADD', IDX, 0, SID)
    end
  end
  setf('updated', now())
end

-- Write the collected meta fields: one HSET, at most one HDEL.
local function flush()
  local set, del = {}, {}
  for k, v in pairs(SETF) do
    set[#set + 1] = k
    set[#set + 1] = v
  end
  for k in pairs(DELF) do
    del[#del + 1] = k
  end
  if #del > 0 then
    rcall('HDEL', META, unpack(del))
  end
  if #set > 0 then
    rcall('HSET', META, unpack(set))
  end
  SETF, DELF = {}, {}
end

-- Write the collected meta fields, then slide (or remove) the TTL of every key of the
-- session (meta exists by then) and keep the expiry index close.
local function touch()
  local keys = {META, DOCS}
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

-- ------------------------------------------------------------------ records

-- A stored record: "<seq> <created ms> <header>\n<payload>".
local function record_prefix(header)
  return ' ' .. now() .. ' ' .. header .. '\n'
end

-- RPUSH values in chunks (Lua's unpack has a stack limit); returns the list's length.
local function push_all(key, values)
  local len = 0
  local i = 1
  while i <= #values do
    local e = math.min(#values, i + 3999)
    len = rcall('RPUSH', key, unpack(values, i, e))
    i = e + 1
  end
  return len
end

-- The previous layout's record "<ms>\n<header>\n<payload>" of seq as a current one.
local function from_legacy(seq, old)
  if not old then
    return seq .. ' 0 \n' -- missing: reads as a corrupt (empty) record
  end
  local p = string.find(old, '\n', 1, true)
  if not p then
    return seq .. ' 0 \n'
  end
  return seq .. ' ' .. string.sub(old, 1, p - 1) .. ' ' .. string.sub(old, p + 1)
end

-- The records lo..hi (seqs) of a previous-layout hash log, as current records.
local function legacy_range(key, lo, hi)
  local out = {}
  local s = lo
  while s <= hi do
    local e = math.min(hi, s + 999)
    local fields = {}
    for q = s, e do
      fields[#fields + 1] = q
    end
    local vals = rcall('HMGET', key, unpack(fields))
    for j = 1, #vals do
      out[#out + 1] = from_legacy(s + j - 1, vals[j])
    end
    s = e + 1
  end
  return out
end

-- ------------------------------------------------------------------ retry replay

-- Exactly-once under client retries: a call whose reply was lost is sent again by redis-py
-- with the same token; the second run returns the first run's result instead of writing
-- again. The tokens hash maps token -> "<w> <result>" for at least the last REPLAY_DEPTH
-- writes (field w counts them; every REPLAY_DEPTH writes the older ones are dropped). It has
-- its own expiry, at least REPLAY_TTL - 60 s after the last write (far beyond any client
-- retry; field e says when, so most writes need no PEXPIRE), so an idle session keeps no
-- tokens. It is not part of the session's data and does not share its TTL.

-- The first run's result if this token was seen (then the script returns it), else nil.
local function replayed(token)
  if token == '' then
    return nil
  end
  local got = rcall('HMGET', TOK, token, 'w', 'e')
  W = tonumber(got[2] or '0')
  TOK_EXPIRES = tonumber(got[3] or '0')
  if not got[1] then
    return nil
  end
  return string.sub(got[1], string.find(got[1], ' ', 1, true) + 1)
end

local function remember(token, result)
  if token == '' then
    return
  end
  W = W + 1
  if TOK_EXPIRES < now() + 60000 then
    rcall('HSET', TOK, token, W .. ' ' .. result, 'w', W, 'e', now() + REPLAY_TTL)
    rcall('PEXPIRE', TOK, REPLAY_TTL)
  else
    rcall('HSET', TOK, token, W .. ' ' .. result, 'w', W)
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
end
