-- clear: empty one stream; documents stay. KEYS: meta, log. ARGV: ttl, sid, stream.
use_index(2)
if not live() then
  return 0
end
set_count(ARGV[3], 0, KEYS[2])
begin_write({})
touch()
return 1
