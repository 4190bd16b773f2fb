-- The per-session calling convention and the session's state (every per-session operation).
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

local META, DOCS, TOK, TTL, SID, NS, IDX, EXP, A
-- Per declared stream i (1..NS only: entries past NS are left over from earlier calls): its
-- name, log key, last and first seq. The tables are reused from call to call.
local STREAMS, LOGS, LAST, FIRST, EXTRA = {}, {}, {}, {}, {}
local NOW, NOW_S, LIVE, LEGACY, CREATED_AT, N, X
local HAS_DOCS -- meta field d: the session ever had a document (its docs key may exist)
local SET, DEL = {}, {} -- meta fields to set and delete (lib/write.lua), reused
local NSET, NDEL, CREATED, EXPIRY_HINT, W, TOK_EXPIRES -- see lib/write.lua, lib/replay.lua
local REPLAY_DEPTH = 16
local REPLAY_TTL = 300000 -- ms the tokens of a session's last writes are kept after its last write
local EXPIRY_SLACK = 1000 -- ms an expiry index score may lag behind the real expiry

-- Read this call's keys and arguments (the calling convention above) and reset the state.
local function begin()
  META, DOCS, TOK = KEYS[1], KEYS[2], KEYS[3]
  -- (a number from a string costs about as much as a Redis command inside a script: the
  -- common values are taken without one)
  TTL = ARGV[1] == '0' and 0 or tonumber(ARGV[1])
  SID = ARGV[2]
  NS = ARGV[3] == '1' and 1 or tonumber(ARGV[3])
  for i = 1, NS do
    STREAMS[i] = ARGV[3 + i]
    LOGS[i] = KEYS[3 + i]
  end
  IDX, EXP = KEYS[4 + NS], KEYS[5 + NS] -- nil on a cluster
  A = 4 + NS -- ARGV index of the script's first own argument
  NOW, NOW_S, LIVE, LEGACY, CREATED_AT, N, X, HAS_DOCS = nil, nil, false, false, nil, 0, nil, false
  NSET, NDEL, CREATED, EXPIRY_HINT, W, TOK_EXPIRES = 0, 0, 0, 0, 0, 0
end

-- The server's time in ms, as the decimal string that is stored, built from TIME's seconds
-- and microseconds without a number (Lua formats a number with sprintf: in a script that
-- costs about as much as a Redis command) ...
local function ms_of(seconds, micros)
  return seconds .. string.sub('00000' .. micros, -6, -4)
end

local function now_s()
  if not NOW_S then
    local t = rcall('TIME')
    NOW_S = ms_of(t[1], t[2])
  end
  return NOW_S
end

-- ... and as a number, for arithmetic.
local function now()
  if not NOW then
    NOW = tonumber(now_s())
  end
  return NOW
end

-- One HMGET: whether the session exists, its layout, n, x, w, e (lib/replay.lua), d, and
-- last/first of every declared stream, plus the operation's own fields (in EXTRA, in order).
local function load(extra)
  local got
  if NS == 1 and #extra == 0 then -- the common case, without building a field list
    local s = STREAMS[1]
    got = rcall('HMGET', META, 'created', 'n', 'x', 'w', 'e', 'd', 'l:' .. s, 'f:' .. s)
  else
    local fields = {'created', 'n', 'x', 'w', 'e', 'd'}
    for i = 1, NS do
      fields[#fields + 1] = 'l:' .. STREAMS[i]
      fields[#fields + 1] = 'f:' .. STREAMS[i]
    end
    for i = 1, #extra do
      fields[#fields + 1] = extra[i]
    end
    got = rcall('HMGET', META, unpack(fields))
  end
  LIVE = got[1] ~= false
  CREATED_AT = got[1]
  LEGACY = LIVE and got[2] == false
  -- (absent fields are not converted: see begin)
  N = got[2] and tonumber(got[2]) or 0
  X = got[3] and tonumber(got[3]) or nil
  W = got[4] and tonumber(got[4]) or 0
  TOK_EXPIRES = got[5] and tonumber(got[5]) or 0
  HAS_DOCS = got[6] ~= false
  for i = 1, NS do
    local l, f = got[5 + 2 * i], got[6 + 2 * i]
    LAST[i] = l and tonumber(l) or 0
    FIRST[i] = f and tonumber(f) or 1
  end
  for i = 1, #extra do
    EXTRA[i] = got[6 + 2 * NS + i]
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
