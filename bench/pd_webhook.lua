-- pd_webhook.lua: wrk script that POSTs signed PagerDuty V3 webhooks, each
-- with its own event id, so a receiver that de-duplicates (st2-pagerduty
-- does) treats every request as a new event.
--
-- DESIGN: wrk's Lua has no HMAC, so bench.py pre-computes the signatures.
-- The body is template.bin with every @ID@ replaced by the id (it is the
-- event id and the incident id: each request is a new incident); the
-- records file holds one fixed-width record per body: the id (ID_LEN bytes) followed by
-- the hex HMAC-SHA256 of that body (64 bytes), no separator. Each thread
-- reads the file as one string (fast, so thread start-up stays out of the
-- measurement) and uses records tid, tid+T, tid+2T, ... so no two threads
-- send the same id. A thread that runs out wraps around; done() counts
-- those repeats as duplicates.
--
-- Environment: BENCH_DIR (template.bin, records.bin), BENCH_THREADS,
-- BENCH_ID_LEN, BENCH_PATH (request path), BENCH_OUT (JSON summary written by
-- done()), BENCH_HUB_SIG=1 to also send the signature as
-- X-Hub-Signature-256: sha256=<hex> (for adnanh/webhook, which cannot parse v1=),
-- BENCH_PORTS to spread the threads over several receivers (see setup()).

local REC_SIG = 64

local threads = {}
local next_tid = 0

-- BENCH_PORTS ("8081,8082"): several receivers sharing one spool (replicas);
-- thread n goes to the n-th port, round robin, so the load splits evenly.
local ports = {}
for p in string.gmatch(os.getenv("BENCH_PORTS") or "", "%d+") do
	table.insert(ports, p)
end

-- Called once per thread, in the main state: number the threads, spread them over the ports.
function setup(thread)
	thread:set("tid", next_tid)
	if #ports > 0 then
		thread.addr = wrk.lookup("127.0.0.1", ports[(next_tid % #ports) + 1])[1]
	end
	table.insert(threads, thread)
	next_tid = next_tid + 1
end

-- Reads a whole file as one string.
local function slurp(path)
	local f = assert(io.open(path, "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

-- Thread state: load the body halves and the records.
function init(args)
	local dir = os.getenv("BENCH_DIR")
	local nthreads = tonumber(os.getenv("BENCH_THREADS"))
	id_len = tonumber(os.getenv("BENCH_ID_LEN"))
	path = os.getenv("BENCH_PATH")
	hub = os.getenv("BENCH_HUB_SIG") == "1"
	-- the template's pieces around each @ID@, joined again with the id
	parts = {}
	local template, from = slurp(dir .. "/template.bin"), 1
	while true do
		local at = string.find(template, "@ID@", from, true)
		if not at then
			break
		end
		table.insert(parts, string.sub(template, from, at - 1))
		from = at + 4
	end
	table.insert(parts, string.sub(template, from))
	records = slurp(dir .. "/records.bin")
	rec_len = id_len + REC_SIG
	local total = math.floor(#records / rec_len)
	-- records tid, tid+T, ... (0-based): how many fall to this thread
	mine = 0
	if total > tid then
		mine = math.floor((total - 1 - tid) / nthreads) + 1
	end
	assert(mine > 0, "pd_webhook.lua: fewer records than threads")
	stride = nthreads
	k = 0
	sent = 0
end

-- One request per call: the next record of this thread.
function request()
	local n = tid + (k % mine) * stride
	k = k + 1
	sent = sent + 1
	local off = n * rec_len + 1
	local id = string.sub(records, off, off + id_len - 1)
	local sig = string.sub(records, off + id_len, off + rec_len - 1)
	local headers = {
		["Content-Type"] = "application/json",
		["User-Agent"] = "PagerDuty-Webhook/V3.0",
		["X-PagerDuty-Signature"] = "v1=" .. sig,
		["X-Webhook-Id"] = "wh-" .. id,
		["X-Webhook-Subscription"] = "PBENCH1",
	}
	if hub then
		headers["X-Hub-Signature-256"] = "sha256=" .. sig
	end
	return wrk.format("POST", path, headers, table.concat(parts, id))
end

-- Main state, at the end: one JSON line with everything bench.py needs.
function done(summary, latency, requests)
	local sent_all, mine_all, dups = 0, 0, 0
	for _, t in ipairs(threads) do
		local s, m = t:get("sent"), t:get("mine")
		sent_all = sent_all + s
		mine_all = mine_all + m
		if s > m then
			dups = dups + (s - m)
		end
	end
	local e = summary.errors
	local out = string.format(
		'{"requests":%d,"duration_us":%d,"bytes":%d,' ..
		'"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
		'"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f},' ..
		'"sent":%d,"bodies":%d,"duplicates":%d}\n',
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(90), latency:percentile(99),
		latency:percentile(99.9), latency.max, latency.mean,
		sent_all, mine_all, dups)
	local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
	f:write(out)
	f:close()
end
