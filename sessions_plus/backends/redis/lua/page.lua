--! uses: 
-- page (standalone): the metadata of the listed sessions whose meta keys are KEYS.
-- Returns {server ms, {pttl, {field, value, ...}} or 0 (gone) for each key}.
register('page', function()
  local t = rcall('TIME')
  local out = {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)}
  for i = 1, #KEYS do
    local fields = rcall('HGETALL', KEYS[i])
    if #fields == 0 then
      out[#out + 1] = 0
    else
      out[#out + 1] = {rcall('PTTL', KEYS[i]), fields}
    end
  end
  return out
end)
