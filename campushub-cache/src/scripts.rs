//! The Lua scripts that make each Redis step atomic: lookups, check-and-set fills,
//! tombstones, generation bumps and the per-kind bound on query entries. Each touches the keys
//! of one hash-tag slot only.

use redis::Script;

/// Reads a kind's generation and one of its query entries.
///
/// KEYS: generation, query entry. Returns `{generation, token, json, read_at}` where `json`
/// is nil unless the entry was filled under the current generation, and `read_at` is the
/// position the entry was read at. A missing generation reads as `"0"`. An entry not in the
/// `<generation>|<token>|<json>` layout (the token is hex) is a miss.
const LOOKUP_QUERY: &str = r#"
local g = redis.call('HMGET', KEYS[1], 'n', 't')
local n = g[1] or '0'
local t = g[2] or ''
local v = redis.call('GET', KEYS[2])
if v then
  local gen, at, json = string.match(v, '^(%d+)|(%x*)|(.*)$')
  if gen == n then
    return {n, t, json, at}
  end
end
return {n, t, false, ''}
"#;

/// Stores a query entry, with the position it was read at, if its generation is still the one
/// the miss saw and the fill's token is not older than the generation's; then keeps the kind's
/// query entries within the cap.
///
/// KEYS: generation, query entry, the kind's index (a sorted set of its query keys, each
/// scored by when its entry expires, in microseconds of the Redis clock). ARGV: generation
/// seen at the miss, fill token, TTL (ms), json, the most query entries the kind may keep.
///
/// A stored entry is (re)scored in the index; while the index holds more than the cap, the
/// member expiring first (with one TTL: the oldest fill) is popped and its key deleted. Members
/// whose entries have expired score lowest, so they go first and cost a `DEL` of nothing: live
/// entries stay within the cap without a sweep of the expired on every fill. The popped keys
/// are not declared, but they share the `{kind}` hash tag, hence the declared keys' slot. The
/// index expires with its last entry (its highest score), so an idle kind leaves nothing
/// behind. Microseconds (below 2^53, exact in Lua's doubles) order fills a millisecond apart
/// would tie. Returns `{code, evicted}`: code 1 (stored), 0 (generation moved on), -1 (token
/// older than the generation's); `evicted` counts the live entries deleted for the cap.
const FILL_QUERY: &str = r#"
local g = redis.call('HMGET', KEYS[1], 'n', 't')
local n = g[1] or '0'
local t = g[2] or ''
if n ~= ARGV[1] then return {0, 0} end
if t ~= '' and ARGV[2] < t then return {-1, 0} end
redis.call('SET', KEYS[2], n .. '|' .. ARGV[2] .. '|' .. ARGV[4], 'PX', ARGV[3])
local now = redis.call('TIME')
local us = tonumber(now[1]) * 1000000 + tonumber(now[2])
redis.call('ZADD', KEYS[3], string.format('%d', us + tonumber(ARGV[3]) * 1000), KEYS[2])
local evicted = 0
local over = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[5])
if over > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[3], over)
  for i = 1, #popped, 2 do
    evicted = evicted + redis.call('DEL', popped[i])
  end
end
local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', KEYS[3], string.format('%d', math.ceil(tonumber(last[2]) / 1000)))
end
return {1, evicted}
"#;

/// Stores a record (`V`) or "not found" (`N`), with the position it was read at, unless the
/// key holds something newer.
///
/// KEYS: record. ARGV: tag (`V`/`N`), version, fill token, TTL (ms), json. Refused (0) when a
/// tombstone or value has a higher version, when "not found" would hide a value, or when
/// "not found" would replace a tombstone without a token proving the read saw that write;
/// refused (-1) when the fill's token is older than the tombstone's. Returns 1 when stored.
const FILL_RECORD: &str = r#"
local v = redis.call('GET', KEYS[1])
if v then
  local tag, ver, tok = string.match(v, '^(%u)(%-?%d+)|(%x*)|')
  if tag then
    ver = tonumber(ver)
    if tag == 'T' then
      if tok ~= '' and ARGV[3] ~= '' and ARGV[3] < tok then return -1 end
      if ARGV[1] == 'N' then
        if tok == '' or ARGV[3] == '' then return 0 end
      elseif ver > tonumber(ARGV[2]) then
        return 0
      end
    elseif tag == 'V' then
      if ARGV[1] == 'N' or ver > tonumber(ARGV[2]) then return 0 end
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[5], 'PX', ARGV[4])
return 1
"#;

/// Replaces a record with a tombstone carrying the write's version and token, unless the key
/// already holds a higher version (an older event arriving late).
///
/// KEYS: record. ARGV: version, token, TTL (ms). Returns 1 when written, 0 when kept.
const TOMBSTONE: &str = r#"
local v = redis.call('GET', KEYS[1])
if v then
  local tag, ver = string.match(v, '^(%u)(%-?%d+)|')
  if (tag == 'T' or tag == 'V') and tonumber(ver) > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], 'T' .. ARGV[1] .. '|' .. ARGV[2] .. '|', 'PX', ARGV[3])
return 1
"#;

/// Bumps a kind's generation and records the write's token (the highest seen).
///
/// KEYS: generation. ARGV: token. A missing generation starts at the server's clock in
/// microseconds, so a generation lost (restart, eviction) never repeats an old number.
/// Returns the new generation.
const BUMP: &str = r#"
local n
if redis.call('HEXISTS', KEYS[1], 'n') == 1 then
  n = redis.call('HINCRBY', KEYS[1], 'n', 1)
else
  local now = redis.call('TIME')
  n = now[1] .. string.format('%06d', tonumber(now[2]))
  redis.call('HSET', KEYS[1], 'n', n)
end
if ARGV[1] ~= '' then
  local t = redis.call('HGET', KEYS[1], 't')
  if (not t) or ARGV[1] > t then redis.call('HSET', KEYS[1], 't', ARGV[1]) end
end
return n
"#;

/// Spends one request of a rate-limit key's GCRA budget
/// (`campushub_core::rate_limit::Gcra`), on Redis's clock so that every instance agrees.
///
/// KEYS: the key's theoretical arrival time (µs since the epoch). ARGV: the interval one
/// request costs and the span of the whole limit, both in µs. Returns `{1, ahead}` when
/// allowed (`ahead`: how far the stored time now is past the clock) and `{0, retry_after}`
/// when refused, which stores nothing. The key expires when its budget is whole again.
const SPEND_RATE: &str = r#"
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local ahead = tat + interval - now
if ahead > span then return {0, ahead - span} end
redis.call('SET', KEYS[1], string.format('%.0f', tat + interval), 'PX', math.ceil(ahead / 1000))
return {1, ahead}
"#;

/// The scripts, with their SHA1s computed once.
pub(crate) struct Scripts {
    /// See `LOOKUP_QUERY`.
    pub(crate) lookup_query: Script,
    /// See `FILL_QUERY`.
    pub(crate) fill_query: Script,
    /// See `FILL_RECORD`.
    pub(crate) fill_record: Script,
    /// See `TOMBSTONE`.
    pub(crate) tombstone: Script,
    /// See `BUMP`.
    pub(crate) bump: Script,
    /// See `SPEND_RATE`.
    pub(crate) spend_rate: Script,
}

impl Scripts {
    /// Prepares every script.
    pub(crate) fn new() -> Self {
        Scripts {
            lookup_query: Script::new(LOOKUP_QUERY),
            fill_query: Script::new(FILL_QUERY),
            fill_record: Script::new(FILL_RECORD),
            tombstone: Script::new(TOMBSTONE),
            bump: Script::new(BUMP),
            spend_rate: Script::new(SPEND_RATE),
        }
    }
}
