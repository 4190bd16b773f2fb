--! uses:
-- page (standalone): the metadata of the listed sessions whose meta keys are KEYS, as one
-- JSON text (one reply element, which clients parse far faster than nested arrays):
-- [server ms, [pttl, created, updated, [[stream, first, last], ...]] or 0 (gone), ...].
-- A stream of the previous layout (c:<stream> = count) reads as first 1, last count.
register('page', function()
  local t = rcall('TIME')
  local out = {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)}
  for i = 1, #KEYS do
    local fields = rcall('HGETALL', KEYS[i])
    if #fields == 0 then
      out[#out + 1] = 0
    else
      local created, updated, ranges, firsts, expiring, current = '0', '0', {}, {}, false, false
      for j = 1, #fields, 2 do
        local name, value = fields[j], fields[j + 1]
        local tag = string.sub(name, 1, 2)
        if tag == 'l:' then
          ranges[#ranges + 1] = {string.sub(name, 3), 1, tonumber(value)}
        elseif tag == 'f:' then
          firsts[string.sub(name, 3)] = tonumber(value)
        elseif tag == 'c:' then
          ranges[#ranges + 1] = {string.sub(name, 3), 1, tonumber(value)}
        elseif name == 'created' then
          created = value
        elseif name == 'updated' then
          updated = value
        elseif name == 'x' then
          expiring = true
        elseif name == 'n' then
          current = true
        end
      end
      for j = 1, #ranges do
        ranges[j][2] = firsts[ranges[j][1]] or 1
      end
      -- Only a session with a TTL (meta field x; or of the previous layout, without n) has a
      -- PTTL worth asking for.
      local pttl = -1
      if expiring or not current then
        pttl = rcall('PTTL', KEYS[i])
      end
      out[#out + 1] = {pttl, created, updated, ranges}
    end
  end
  return cjson.encode(out)
end)
