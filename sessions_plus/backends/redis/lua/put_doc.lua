-- put_doc: write a whole document. KEYS: meta. ARGV: ttl, sid, name, payload, if_absent.
-- Returns {written (0/1), created}.
use_index(1)
if ARGV[5] == '1' and live() and redis.call('HEXISTS', DOCS, ARGV[3]) == 1 then
  return {0, 0}
end
local created = begin_write({})
redis.call('HSET', DOCS, ARGV[3], ARGV[4])
touch()
return {1, created}
