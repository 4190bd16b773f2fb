-- delete_doc: KEYS: meta. ARGV: ttl, sid, name. Returns 1 if the document existed.
use_index(1)
if not live() or redis.call('HDEL', DOCS, ARGV[3]) == 0 then
  return 0
end
begin_write({})
touch()
return 1
