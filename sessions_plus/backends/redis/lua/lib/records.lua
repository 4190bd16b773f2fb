-- Stored records.

-- RPUSH values in chunks (Lua's unpack has a stack limit); returns the list's length.
local function push_all(key, values)
  local len = 0
  local i = 1
  while i <= #values do
    local e = math.min(#values, i + 3999)
    len = rcall('RPUSH', key, unpack(values, i, e))
    i = e + 1
  end
  return len
end
