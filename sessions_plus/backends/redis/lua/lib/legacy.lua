-- Reading the previous layout's hash logs.

-- The previous layout's record "<ms>\n<header>\n<payload>" of seq as a current one.
local function from_legacy(seq, old)
  if not old then
    return seq .. ' 0 \n' -- missing: reads as a corrupt (empty) record
  end
  local p = string.find(old, '\n', 1, true)
  if not p then
    return seq .. ' 0 \n'
  end
  return seq .. ' ' .. string.sub(old, 1, p - 1) .. ' ' .. string.sub(old, p + 1)
end

-- The records lo..hi (seqs) of a previous-layout hash log, as current records.
local function legacy_range(key, lo, hi)
  local out = {}
  local s = lo
  while s <= hi do
    local e = math.min(hi, s + 999)
    local fields = {}
    for q = s, e do
      fields[#fields + 1] = q
    end
    local vals = rcall('HMGET', key, unpack(fields))
    for j = 1, #vals do
      out[#out + 1] = from_legacy(s + j - 1, vals[j])
    end
    s = e + 1
  end
  return out
end
