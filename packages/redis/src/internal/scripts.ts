import type { Redis } from 'ioredis';

// Budget and rate-limit state lives in Redis and changes only inside these
// Lua scripts, so a check and its update are one atomic step for every
// process. Times come from Redis (`TIME`), one clock for all machines.
// Amounts are integer nano-USD; `fmt` keeps them out of Lua's exponent notation.

const PRELUDE = `
local function fmt(x) return string.format('%d', x) end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function num(key, field)
  return tonumber(redis.call('HGET', key, field) or '0')
end
`;

/** Turns expired leases (reservations of a process that died mid-call) into spend at their worst case. */
const EXPIRE_LEASES = `
local function expire(budget, leases, lease, now)
  local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  for _, id in ipairs(expired) do
    local value = redis.call('HGET', lease, id)
    if value then
      local amount, task = string.match(value, '^(%d+)\\t(.*)$')
      redis.call('HINCRBY', budget, 'reserved:run', '-' .. amount)
      redis.call('HINCRBY', budget, 'spent:run', amount)
      redis.call('HINCRBY', budget, 'reserved:t:' .. task, '-' .. amount)
      redis.call('HINCRBY', budget, 'spent:t:' .. task, amount)
      redis.call('HDEL', lease, id)
    end
    redis.call('ZREM', leases, id)
  end
end
`;

/**
 * KEYS: budget hash, leases zset, lease hash. ARGV: taskId, amount, minimum,
 * reservation id, lease ms. Returns {1, granted} | {0, scope} (wait: calls
 * in flight hold what it needs) | {-1, scope, limit, spent, reserved} (refused).
 */
const BUDGET_ACQUIRE = `${PRELUDE}${EXPIRE_LEASES}
local budget, leases, lease = KEYS[1], KEYS[2], KEYS[3]
local task, amount, minimum = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = clock()
expire(budget, leases, lease, now)
local scopes = {}
local runLimit = redis.call('HGET', budget, 'limit:run')
if runLimit then table.insert(scopes, {'run', tonumber(runLimit), 'spent:run', 'reserved:run'}) end
local taskLimit = redis.call('HGET', budget, 'limit:task')
if taskLimit then
  table.insert(scopes, {'task', tonumber(taskLimit), 'spent:t:' .. task, 'reserved:t:' .. task})
end
local target = amount
for _, s in ipairs(scopes) do
  local spent, reserved = num(budget, s[3]), num(budget, s[4])
  local ceiling = s[2] - spent
  if ceiling < minimum then return {-1, s[1], fmt(s[2]), fmt(spent), fmt(reserved)} end
  if ceiling < target then target = ceiling end
end
for _, s in ipairs(scopes) do
  if num(budget, s[3]) + num(budget, s[4]) + target > s[2] then return {0, s[1]} end
end
redis.call('HINCRBY', budget, 'reserved:run', fmt(target))
redis.call('HINCRBY', budget, 'reserved:t:' .. task, fmt(target))
redis.call('ZADD', leases, now + tonumber(ARGV[5]), ARGV[4])
redis.call('HSET', lease, ARGV[4], fmt(target) .. '\\t' .. task)
return {1, fmt(target)}
`;

/**
 * KEYS: budget hash, leases zset, lease hash. ARGV: reservation id, actual
 * (empty: released unspent). A lease that already expired counted its worst
 * case as spent: settling it changes nothing (never counted twice).
 */
const BUDGET_SETTLE = `${PRELUDE}
local budget, leases, lease = KEYS[1], KEYS[2], KEYS[3]
local value = redis.call('HGET', lease, ARGV[1])
if not value then return 0 end
local amount, task = string.match(value, '^(%d+)\\t(.*)$')
redis.call('HINCRBY', budget, 'reserved:run', '-' .. amount)
redis.call('HINCRBY', budget, 'reserved:t:' .. task, '-' .. amount)
if ARGV[2] ~= '' then
  redis.call('HINCRBY', budget, 'spent:run', ARGV[2])
  redis.call('HINCRBY', budget, 'spent:t:' .. task, ARGV[2])
end
redis.call('HDEL', lease, ARGV[1])
redis.call('ZREM', leases, ARGV[1])
return 1
`;

const BUCKETS = `
local kinds = {'req', 'in', 'out'}
local function refill(key, now)
  local at = tonumber(redis.call('HGET', key, 'at') or now)
  local elapsed = math.max(0, now - at)
  for _, k in ipairs(kinds) do
    local limit = tonumber(redis.call('HGET', key, k .. ':l') or '')
    if limit then
      local available = tonumber(redis.call('HGET', key, k .. ':a') or limit)
      available = math.min(limit, available + elapsed * limit / 60000)
      redis.call('HSET', key, k .. ':a', tostring(available))
    end
  end
  redis.call('HSET', key, 'at', fmt(now))
end
local function waitFor(key, k, need)
  local limit = tonumber(redis.call('HGET', key, k .. ':l') or '')
  if not limit then return 0 end
  local available = tonumber(redis.call('HGET', key, k .. ':a') or limit)
  if available >= need then return 0 end
  return (need - available) * 60000 / limit
end
`;

/**
 * KEYS: model hash, probe key. ARGV: input tokens, output tokens, probe
 * unknown (1/0), probe ttl ms. Returns {1, probe} (granted), {0, ms} (wait),
 * {-1, kind, limit} (can never fit).
 */
const RATE_ACQUIRE = `${PRELUDE}${BUCKETS}
local key, probe = KEYS[1], KEYS[2]
local input, output = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = clock()
refill(key, now)
local paused = tonumber(redis.call('HGET', key, 'paused') or '0')
if paused > now then return {0, fmt(paused - now)} end
if redis.call('HGET', key, 'learned') ~= '1' and ARGV[3] == '1' then
  if redis.call('SET', probe, '1', 'NX', 'PX', ARGV[4]) then return {1, 1} end
  return {0, 25}
end
local inLimit = tonumber(redis.call('HGET', key, 'in:l') or '')
if inLimit and input > inLimit then return {-1, 'input', fmt(inLimit)} end
local outLimit = tonumber(redis.call('HGET', key, 'out:l') or '')
if outLimit and output > outLimit then return {-1, 'output', fmt(outLimit)} end
local wait = math.max(waitFor(key, 'req', 1), waitFor(key, 'in', input), waitFor(key, 'out', output))
if wait > 0 then return {0, fmt(math.ceil(wait))} end
for _, pair in ipairs({{'req', 1}, {'in', input}, {'out', output}}) do
  if redis.call('HGET', key, pair[1] .. ':l') then
    redis.call('HSET', key, pair[1] .. ':a', tostring(num(key, pair[1] .. ':a') - pair[2]))
  end
end
return {1, 0}
`;

/**
 * KEYS: model hash, probe key. ARGV: held input, held output, actual input,
 * actual output, probe (1/0), answered (1/0). Gives back what a request held
 * beyond what it used.
 */
const RATE_SETTLE = `${PRELUDE}${BUCKETS}
local key, probe = KEYS[1], KEYS[2]
refill(key, clock())
for _, pair in ipairs({{'in', tonumber(ARGV[1]) - tonumber(ARGV[3])}, {'out', tonumber(ARGV[2]) - tonumber(ARGV[4])}}) do
  local limit = tonumber(redis.call('HGET', key, pair[1] .. ':l') or '')
  if limit then
    redis.call('HSET', key, pair[1] .. ':a', tostring(math.min(limit, num(key, pair[1] .. ':a') + pair[2])))
  end
end
if ARGV[5] == '1' then
  redis.call('DEL', probe)
  -- A probe that was answered taught the limits (or that the API sends none).
  if ARGV[6] == '1' then redis.call('HSET', key, 'learned', '1') end
end
return 1
`;

/**
 * KEYS: model hash, probe key. ARGV: limit and remaining of requests, input
 * and output tokens ('' when absent). Local capacity only goes down to what
 * the server reports, never up: requests in flight may not have reached it.
 */
const RATE_OBSERVE = `${PRELUDE}${BUCKETS}
local key, probe = KEYS[1], KEYS[2]
refill(key, clock())
local saw = false
for i, k in ipairs(kinds) do
  local limit = tonumber(ARGV[i * 2 - 1])
  if limit and limit > 0 then
    saw = true
    local old = tonumber(redis.call('HGET', key, k .. ':l') or limit)
    local available = tonumber(redis.call('HGET', key, k .. ':a') or limit)
    if old ~= limit then available = math.min(limit, available + math.max(0, limit - old)) end
    local remaining = tonumber(ARGV[i * 2])
    if remaining then available = math.min(available, remaining) end
    redis.call('HSET', key, k .. ':l', tostring(limit), k .. ':a', tostring(available))
  end
end
if saw then
  redis.call('HSET', key, 'learned', '1')
  redis.call('DEL', probe)
end
return 1
`;

/** KEYS: model hash. ARGV: ms from now. */
const RATE_PAUSE = `${PRELUDE}
local now = clock()
local untilMs = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused') or '0')
if untilMs > paused then redis.call('HSET', KEYS[1], 'paused', fmt(untilMs)) end
return 1
`;

type Reply = (string | number)[];

/** The connection with the package's scripts defined on it. */
export interface ScriptedRedis extends Redis {
  armyBudgetAcquire(...args: string[]): Promise<Reply>;
  armyBudgetSettle(...args: string[]): Promise<number>;
  armyRateAcquire(...args: string[]): Promise<Reply>;
  armyRateSettle(...args: string[]): Promise<number>;
  armyRateObserve(...args: string[]): Promise<number>;
  armyRatePause(...args: string[]): Promise<number>;
}

/** Defines the scripts (ioredis sends them by SHA, loading them once). */
export function defineScripts(redis: Redis): ScriptedRedis {
  redis.defineCommand('armyBudgetAcquire', { numberOfKeys: 3, lua: BUDGET_ACQUIRE });
  redis.defineCommand('armyBudgetSettle', { numberOfKeys: 3, lua: BUDGET_SETTLE });
  redis.defineCommand('armyRateAcquire', { numberOfKeys: 2, lua: RATE_ACQUIRE });
  redis.defineCommand('armyRateSettle', { numberOfKeys: 2, lua: RATE_SETTLE });
  redis.defineCommand('armyRateObserve', { numberOfKeys: 2, lua: RATE_OBSERVE });
  redis.defineCommand('armyRatePause', { numberOfKeys: 1, lua: RATE_PAUSE });
  return redis as ScriptedRedis;
}
