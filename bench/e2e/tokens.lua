-- wrk script: cycles through a file of tokens, one per line, sending each as
-- "Authorization: Bearer <token>" to the URL's path.
--
--   wrk ... -s tokens.lua URL -- TOKENS_FILE
--
-- Every request is formatted once in init(), so the per-request work in wrk is returning a
-- prebuilt string: building it per request in Lua would make the load generator, not the proxy,
-- the slower side. Only request() is defined (no response()), which keeps wrk's own status
-- counting ("Non-2xx or 3xx responses") and avoids a Lua call per response.

local requests = {}
local count = 0
local next_index = 0

function init(args)
  local file = args[1]
  if file == nil then
    error("tokens.lua: pass the tokens file after --")
  end
  for line in io.lines(file) do
    if #line > 0 then
      count = count + 1
      requests[count] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. line })
    end
  end
  if count == 0 then
    error("tokens.lua: no tokens in " .. file)
  end
end

function request()
  next_index = next_index % count + 1
  return requests[next_index]
end
