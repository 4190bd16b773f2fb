-- list_docs: KEYS: meta. ARGV: ttl, sid, refresh. Returns every document name.
use_index(1)
if not live() then
  return {}
end
if ARGV[3] == '1' then
  touch()
end
return redis.call('HKEYS', DOCS)
