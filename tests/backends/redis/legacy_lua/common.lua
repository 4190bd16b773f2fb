-- Shared prelude of every sessions-plus Redis script (prepended by redis.py when loading).
--
-- Key layout (see sessions_plus/backends/redis.py):
--   <prefix>:{<esc id>}:meta            hash: created, updated (server ms), c:<stream> = count
--   <prefix>:{<esc id>}:docs            hash: document name -> payload
--   <prefix>:{<esc id>}:log:<esc name>  hash: seq -> "<created ms>\n<header>\n<payload>"
--   <prefix>:{<esc id>}:req             list: tokens of the last 16-32 appends/splices/pops
--   <prefix>:{<esc id>}:res             hash: token -> result of that call (retry replay)
--   <prefix>:index                      zset (standalone): session ids, score 0 (lex order)
--   <prefix>:expiry                     zset (standalone): session id -> expiry ms
-- <esc x> percent-encodes every byte outside [A-Za-z0-9_.~-], exactly like Python's
-- urllib.parse.quote(x, safe=""), so an id can never contain "{", "}", ":" or glob characters.
--
-- Every script gets KEYS[1] = meta, then its own keys; on standalone Redis the last KEY is the
-- index set, and the expiry set is named after it (both absent on a cluster, where the client
-- keeps the index with a second command). ARGV[1] = TTL in ms ("0": never expires),
-- ARGV[2] = session id.

local META = KEYS[1]
local TTL = tonumber(ARGV[1])
local SID = ARGV[2]
local BASE = string.sub(META, 1, -5) -- "<prefix>:{<esc id>}:" (META ends in "meta")
-- The other keys of the session are named after META (same hash tag, so the same slot): fewer
-- arguments to send and parse on every call.
local DOCS, REQ, RES = BASE .. 'docs', BASE .. 'req', BASE .. 'res'
local IDX, EXP = nil, nil

local NOW = nil -- server ms, read (one TIME) by now() on first use: reads never need it
local LIVE = nil -- whether META exists, once a script asked (one EXISTS per script)
local CREATED = false -- true once this script created the session

local function now()
  if not NOW then
    local t = redis.call('TIME')
    NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return NOW
end

local function esc(s)
  return (string.gsub(s, '[^%w%-%._~]', function(c)
    return string.format('%%%02X', string.byte(c))
  end))
end

-- Declare how many KEYS the script itself uses; the one after them (if any) is the index,
-- "<prefix>:index", and the expiry set is "<prefix>:expiry".
local function use_index(nkeys)
  if #KEYS > nkeys then
    IDX = KEYS[nkeys + 1]
    EXP = string.sub(IDX, 1, -6) .. 'expiry'
  end
end

local function log_key(stream)
  return BASE .. 'log:' .. esc(stream)
end

local function count(stream)
  return tonumber(redis.call('HGET', META, 'c:' .. stream) or '0')
end

local function set_count(stream, n, key)
  if n > 0 then
    redis.call('HSET', META, 'c:' .. stream, n)
  else
    redis.call('HDEL', META, 'c:' .. stream)
    redis.call('DEL', key)
  end
end

-- Slide (or remove) the TTL of every key of the session at once, and the expiry index.
-- Every write with a TTL sets it on META together with all other keys and the expiry index, so
-- an existing META without a TTL means no key has one: nothing to do for a store without TTL.
local function touch()
  if TTL == 0 and not CREATED and redis.call('PTTL', META) == -1 then
    return
  end
  local keys = {META, DOCS, REQ, RES}
  local fields = redis.call('HKEYS', META)
  for i = 1, #fields do
    local f = fields[i]
    if string.sub(f, 1, 2) == 'c:' then
      keys[#keys + 1] = log_key(string.sub(f, 3))
    end
  end
  for i = 1, #keys do
    if TTL > 0 then
      redis.call('PEXPIRE', keys[i], TTL)
    else
      redis.call('PERSIST', keys[i])
    end
  end
  if EXP then
    if TTL > 0 then
      redis.call('ZADD', EXP, now() + TTL, SID)
    else
      redis.call('ZREM', EXP, SID)
    end
  end
end

local function live()
  if LIVE == nil then
    LIVE = redis.call('EXISTS', META) == 1
  end
  return LIVE
end

-- Start a write: create the session if it is absent (dropping any stale leftovers of the keys
-- this write uses) and stamp updated, plus an optional META field (one HSET). Returns 1 if the
-- session was created.
local function begin_write(stale_keys, field, value)
  local created = 0
  if not live() then
    created = 1
    CREATED = true
    LIVE = true
    redis.call('DEL', DOCS, REQ, RES, unpack(stale_keys))
    redis.call('HSET', META, 'created', now())
    if IDX then
      redis.call('ZADD', IDX, 0, SID)
    end
  end
  if field then
    redis.call('HSET', META, 'updated', now(), field, value)
  else
    redis.call('HSET', META, 'updated', now())
  end
  return created
end

-- HMGET seqs lo..hi of a log in chunks (Lua's unpack has a stack limit).
local function get_range(key, lo, hi)
  local out = {}
  local s = lo
  while s <= hi do
    local e = math.min(hi, s + 999)
    local fields = {}
    for q = s, e do
      fields[#fields + 1] = q
    end
    local vals = redis.call('HMGET', key, unpack(fields))
    for i = 1, #vals do
      out[#out + 1] = vals[i]
    end
    s = e + 1
  end
  return out
end

local function del_range(key, lo, hi)
  local s = lo
  while s <= hi do
    local e = math.min(hi, s + 999)
    local fields = {}
    for q = s, e do
      fields[#fields + 1] = q
    end
    redis.call('HDEL', key, unpack(fields))
    s = e + 1
  end
end

-- Exactly-once under client retries: a call whose reply was lost (timeout, dropped connection,
-- a redirected cluster command) is sent again by redis-py with the same token; the second run
-- returns the first run's result instead of writing again. REQ lists the tokens of the latest
-- writes (newest first), RES maps exactly those tokens to their results. At least the last
-- REPLAY_DEPTH writes are kept; the list is trimmed back to that once it doubles, so most
-- writes only add (LPUSH, HSET).
local REPLAY_DEPTH = 16

local function replayed(token)
  if token == '' then
    return nil
  end
  return redis.call('HGET', RES, token) or nil
end

local function remember(token, result)
  if token == '' then
    return
  end
  local n = redis.call('LPUSH', REQ, token)
  redis.call('HSET', RES, token, result)
  if n > 2 * REPLAY_DEPTH then
    redis.call('HDEL', RES, unpack(redis.call('LRANGE', REQ, REPLAY_DEPTH, -1)))
    redis.call('LTRIM', REQ, 0, REPLAY_DEPTH - 1)
  end
end
