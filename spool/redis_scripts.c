/*
 * redis_scripts.c: the Lua scripts of the Redis spool, one per change that
 * must be atomic across replicas. Redis runs a script as one command: no
 * other client's command runs in between, so a check and the write it
 * allows (a dedup lookup and the insert, "still pending?" and an outcome)
 * cannot be split by another replica. Scripts are sent once (SCRIPT LOAD,
 * or EVAL on NOSCRIPT) and then named by their SHA-1 (EVALSHA).
 *
 * Every script takes the key prefix as ARGV[1] and builds its key names
 * from it, and no KEYS: that is fine on one Redis (with replicas and
 * Sentinel), which is what this backend targets, and not allowed on Redis
 * Cluster, which it does not support (spool/redis.c says why one primary
 * suffices). Keys, under the prefix P:
 *
 *   P seq            the last seq handed out (INCR): one order for all replicas
 *   P ev:<seq>       hash, one event: the fields of redis_event_fields
 *   P pl:<seq>       its trigger payload, a string: apart, the hash stays small
 *                    (listpack), and the outcomes that update it cost a few us
 *                    instead of rewriting a 2 KB hash table entry (sqlite.c's
 *                    payloads table, for the same reason)
 *   P id:<event_id>  -> seq, for dedup; P wh:<X-Webhook-Id> -> seq
 *   P pending        sorted set of pending seqs, scored by seq
 *   P dead           sorted set of dead letters, scored by seq
 *   P delivered      sorted set of delivered seqs, scored by delivery time
 *   P tr:<transition> hash source -> arrivals, for the twin rule (sqlite_writer.c)
 *   P meta           hash, the sensor's cursor and other named values
 *   P lease          the forwarder's lease: its holder's token, with a TTL
 *   P probe          written to find out whether Redis takes writes again
 *
 * A delivered event's hash, payload, id and wh keys get a TTL of the dedup horizon
 * (SPOOL_KEEP_DELIVERED_MS), so they go even if no replica prunes; pending
 * and dead events never expire.
 */
#include "st2pd.h"

/* clang-format off */
static const char redis_lua_submit[] =
    /* ARGV: prefix, max_events, keep_ms, now_ms, event_id, webhook_id, event_type,
     * trigger, order_key, payload, received_ms, transition, source, twin note.
     * Returns {code, seq}: 0 new and pending, 1 duplicate, 2 the other source's
     * twin (stored as delivered, reported as a duplicate), 3 full. */
    "local p, id, wh, tr, src = ARGV[1], ARGV[5], ARGV[6], ARGV[12], ARGV[13]\n"
    "if redis.call('EXISTS', p .. 'id:' .. id) == 1 then return {1, 0} end\n"
    "if wh ~= '' and redis.call('EXISTS', p .. 'wh:' .. wh) == 1 then return {1, 0} end\n"
    "local max = tonumber(ARGV[2])\n"
    "if max > 0 and redis.call('ZCARD', p .. 'pending') + redis.call('ZCARD', p .. 'dead')"
    " >= max then return {3, 0} end\n"
    "local twin = false\n"
    "if tr ~= '' then\n"
    "  local tk = p .. 'tr:' .. tr\n"
    "  local other = src == 'poll' and 'webhook' or 'poll'\n"
    "  local mine = tonumber(redis.call('HGET', tk, src) or '0')\n"
    "  twin = tonumber(redis.call('HGET', tk, other) or '0') > mine\n"
    "  redis.call('HINCRBY', tk, src, 1)\n"
    "  redis.call('PEXPIRE', tk, ARGV[3])\n"
    "end\n"
    "local seq = redis.call('INCR', p .. 'seq')\n"
    "local ek = p .. 'ev:' .. seq\n"
    "local f = {'event_id', id, 'event_type', ARGV[7], 'trigger', ARGV[8],"
    " 'received_ms', ARGV[11], 'source', src, 'attempts', 0}\n"
    "if wh ~= '' then f[#f + 1] = 'webhook_id'; f[#f + 1] = wh end\n"
    "if tr ~= '' then f[#f + 1] = 'transition'; f[#f + 1] = tr end\n"
    "redis.call('SET', p .. 'id:' .. id, seq)\n"
    "if wh ~= '' then redis.call('SET', p .. 'wh:' .. wh, seq) end\n"
    "if twin then\n"
    "  f[#f + 1] = 'state'; f[#f + 1] = 1\n"
    "  f[#f + 1] = 'delivered_ms'; f[#f + 1] = ARGV[11]\n"
    "  f[#f + 1] = 'last_error'; f[#f + 1] = ARGV[14]\n"
    "  redis.call('HSET', ek, unpack(f))\n"
    "  redis.call('ZADD', p .. 'delivered', ARGV[11], seq)\n"
    "  redis.call('PEXPIRE', ek, ARGV[3])\n"
    "  redis.call('PEXPIRE', p .. 'id:' .. id, ARGV[3])\n"
    "  if wh ~= '' then redis.call('PEXPIRE', p .. 'wh:' .. wh, ARGV[3]) end\n"
    "  return {2, seq}\n"
    "end\n"
    "f[#f + 1] = 'state'; f[#f + 1] = 0\n"
    "if ARGV[9] ~= '' then f[#f + 1] = 'order_key'; f[#f + 1] = ARGV[9] end\n"
    "redis.call('HSET', ek, unpack(f))\n"
    "redis.call('SET', p .. 'pl:' .. seq, ARGV[10])\n"
    "redis.call('ZADD', p .. 'pending', seq, seq)\n"
    "return {0, seq}\n";

static const char redis_lua_outcome[] =
    /* ARGV: prefix, delivered|retry|dead, seq, attempts, ms, text, keep_ms.
     * Only an event still pending changes (it may have been retried or purged). */
    "local p, kind, seq = ARGV[1], ARGV[2], ARGV[3]\n"
    "if not redis.call('ZSCORE', p .. 'pending', seq) then return 0 end\n"
    "local ek = p .. 'ev:' .. seq\n"
    "if kind == 'retry' then\n"
    "  redis.call('HSET', ek, 'attempts', ARGV[4], 'next_attempt_ms', ARGV[5],"
    " 'last_error', ARGV[6])\n"
    "  return 1\n"
    "end\n"
    "redis.call('ZREM', p .. 'pending', seq)\n"
    "if kind == 'dead' then\n"
    "  redis.call('HSET', ek, 'state', 2, 'attempts', ARGV[4], 'dead_ms', ARGV[5],"
    " 'dead_reason', ARGV[6], 'next_attempt_ms', 0)\n"
    "  redis.call('ZADD', p .. 'dead', seq, seq)\n"
    "  return 1\n"
    "end\n"
    "redis.call('HINCRBY', ek, 'attempts', 1)\n"
    "redis.call('HSET', ek, 'state', 1, 'delivered_ms', ARGV[5], 'next_attempt_ms', 0)\n"
    "redis.call('ZADD', p .. 'delivered', ARGV[5], seq)\n"
    "local f = redis.call('HMGET', ek, 'event_id', 'webhook_id')\n"
    "redis.call('PEXPIRE', ek, ARGV[7])\n"
    "redis.call('PEXPIRE', p .. 'pl:' .. seq, ARGV[7])\n"
    "if f[1] then redis.call('PEXPIRE', p .. 'id:' .. f[1], ARGV[7]) end\n"
    "if f[2] then redis.call('PEXPIRE', p .. 'wh:' .. f[2], ARGV[7]) end\n"
    "return 1\n";

static const char redis_lua_fetch[] =
    /* ARGV: prefix, after, max, then the field names. Returns, per pending event
     * with seq > after in seq order, its seq, its payload, the fields' values. */
    "local p = ARGV[1]\n"
    "local seqs = redis.call('ZRANGEBYSCORE', p .. 'pending', '(' .. ARGV[2], '+inf',"
    " 'LIMIT', 0, tonumber(ARGV[3]))\n"
    "local out, nf = {}, #ARGV - 3\n"
    "for _, s in ipairs(seqs) do\n"
    "  local v = redis.call('HMGET', p .. 'ev:' .. s, unpack(ARGV, 4))\n"
    "  out[#out + 1] = s\n"
    "  out[#out + 1] = redis.call('GET', p .. 'pl:' .. s)\n"
    "  for i = 1, nf do out[#out + 1] = v[i] end\n"
    "end\n"
    "return out\n";

static const char redis_lua_stats[] =
    /* ARGV: prefix, since_ms. Returns {pending, dead, delivered, oldest pending's
     * received_ms or 0, delivered since since_ms}. */
    "local p = ARGV[1]\n"
    "local first = redis.call('ZRANGE', p .. 'pending', 0, 0)\n"
    "local oldest = 0\n"
    "if first[1] then oldest = tonumber(redis.call('HGET', p .. 'ev:' .. first[1],"
    " 'received_ms') or '0') end\n"
    "return {redis.call('ZCARD', p .. 'pending'), redis.call('ZCARD', p .. 'dead'),"
    " redis.call('ZCARD', p .. 'delivered'), oldest,"
    " redis.call('ZCOUNT', p .. 'delivered', ARGV[2], '+inf')}\n";

static const char redis_lua_lease[] =
    /* ARGV: prefix, token, ttl_ms (0: give it up). Returns 1 renewed, 2 won, 0 not ours. */
    "local k, ttl = ARGV[1] .. 'lease', tonumber(ARGV[3])\n"
    "if redis.call('GET', k) == ARGV[2] then\n"
    "  if ttl == 0 then redis.call('DEL', k); return 0 end\n"
    "  redis.call('PEXPIRE', k, ttl)\n"
    "  return 1\n"
    "end\n"
    "if ttl > 0 and redis.call('SET', k, ARGV[2], 'NX', 'PX', ttl) then return 2 end\n"
    "return 0\n";

static const char redis_lua_prune[] =
    /* ARGV: prefix, cutoff_ms, limit. Drops delivered events delivered before
     * the cutoff, with their id keys unless those name a newer event. */
    "local p = ARGV[1]\n"
    "local seqs = redis.call('ZRANGEBYSCORE', p .. 'delivered', '-inf', '(' .. ARGV[2],"
    " 'LIMIT', 0, tonumber(ARGV[3]))\n"
    "for _, s in ipairs(seqs) do\n"
    "  local ek = p .. 'ev:' .. s\n"
    "  local f = redis.call('HMGET', ek, 'event_id', 'webhook_id', 'state')\n"
    "  if f[3] == '1' then\n"
    "    redis.call('DEL', ek, p .. 'pl:' .. s)\n"
    "    if f[1] and redis.call('GET', p .. 'id:' .. f[1]) == s then"
    " redis.call('DEL', p .. 'id:' .. f[1]) end\n"
    "    if f[2] and redis.call('GET', p .. 'wh:' .. f[2]) == s then"
    " redis.call('DEL', p .. 'wh:' .. f[2]) end\n"
    "  end\n"
    "  redis.call('ZREM', p .. 'delivered', s)\n"
    "end\n"
    "return #seqs\n";

static const char redis_lua_retry[] =
    /* ARGV: prefix, seq. A dead letter back to pending under a new, highest seq,
     * its dead reason as the last error. Returns the new seq, 0 if not dead. */
    "local p, s = ARGV[1], ARGV[2]\n"
    "if not redis.call('ZSCORE', p .. 'dead', s) then return 0 end\n"
    "local n = redis.call('INCR', p .. 'seq')\n"
    "local ek = p .. 'ev:' .. n\n"
    "redis.call('RENAME', p .. 'ev:' .. s, ek)\n"
    "if redis.call('EXISTS', p .. 'pl:' .. s) == 1 then"
    " redis.call('RENAME', p .. 'pl:' .. s, p .. 'pl:' .. n) end\n"
    "local f = redis.call('HMGET', ek, 'event_id', 'webhook_id', 'dead_reason')\n"
    "redis.call('HSET', ek, 'state', 0, 'attempts', 0, 'next_attempt_ms', 0)\n"
    "if f[3] then redis.call('HSET', ek, 'last_error', f[3]) end\n"
    "redis.call('HDEL', ek, 'dead_ms', 'dead_reason')\n"
    "redis.call('ZREM', p .. 'dead', s)\n"
    "redis.call('ZADD', p .. 'pending', n, n)\n"
    "if f[1] then redis.call('SET', p .. 'id:' .. f[1], n) end\n"
    "if f[2] then redis.call('SET', p .. 'wh:' .. f[2], n) end\n"
    "return n\n";

static const char redis_lua_purge[] =
    /* ARGV: prefix, seq. Deletes a dead letter and its id keys; 1, or 0 if not dead. */
    "local p, s = ARGV[1], ARGV[2]\n"
    "if not redis.call('ZSCORE', p .. 'dead', s) then return 0 end\n"
    "local ek = p .. 'ev:' .. s\n"
    "local f = redis.call('HMGET', ek, 'event_id', 'webhook_id')\n"
    "redis.call('DEL', ek, p .. 'pl:' .. s)\n"
    "if f[1] and redis.call('GET', p .. 'id:' .. f[1]) == s then"
    " redis.call('DEL', p .. 'id:' .. f[1]) end\n"
    "if f[2] and redis.call('GET', p .. 'wh:' .. f[2]) == s then"
    " redis.call('DEL', p .. 'wh:' .. f[2]) end\n"
    "redis.call('ZREM', p .. 'dead', s)\n"
    "return 1\n";
/* clang-format on */

/* Every script, by its id. */
const char *const redis_scripts[REDIS_NSCRIPTS] = {
    [REDIS_SUBMIT] = redis_lua_submit, [REDIS_OUTCOME] = redis_lua_outcome,
    [REDIS_FETCH] = redis_lua_fetch,   [REDIS_STATS] = redis_lua_stats,
    [REDIS_LEASE] = redis_lua_lease,   [REDIS_PRUNE] = redis_lua_prune,
    [REDIS_RETRY] = redis_lua_retry,   [REDIS_PURGE] = redis_lua_purge,
};
