-- get_doc: KEYS: meta. ARGV: ttl, sid, name, refresh. Returns the payload or nil.
use_index(1)
if not live() then
  return nil
end
if ARGV[4] == '1' then
  touch()
end
return redis.call('HGET', DOCS, ARGV[3])
