-- put_doc: write a whole document. KEYS: meta. ARGV: ttl, sid, name, payload,
-- condition ("absent": only if no such document, "exists": only if there is one, "": always).
-- Returns {written (0/1), created}.
use_index(1)
if ARGV[5] ~= '' then
  local present = live() and redis.call('HEXISTS', DOCS, ARGV[3]) == 1
  if present ~= (ARGV[5] == 'exists') then
    return {0, 0}
  end
end
local created = begin_write({})
redis.call('HSET', DOCS, ARGV[3], ARGV[4])
touch()
return {1, created}
