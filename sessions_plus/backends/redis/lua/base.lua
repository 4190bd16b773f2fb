-- Prepended to every sessions-plus script: the one way scripts call Redis.
local rcall = redis.call
