-- Every library and operation starts with this (see scripts.py): the one way operations call
-- Redis, and how they are registered. scripts.py puts a REGISTER before it: in a function
-- library it is redis.register_function (helpers are defined once, when the library loads);
-- in an EVAL script it keeps the script's one operation, which the script then runs.
local rcall = nil -- redis.call, set at every call (a library's load cannot see it)
local KEYS, ARGV = nil, nil -- this call's keys and arguments
local WRAP = nil -- tests: WRAP(rcall, keys) returns a checking rcall (strict keys)

local function register(name, operation)
  REGISTER(name, function(keys, argv)
    KEYS, ARGV = keys, argv
    rcall = redis.call
    if WRAP then
      rcall = WRAP(rcall, keys)
    end
    return operation()
  end)
end
