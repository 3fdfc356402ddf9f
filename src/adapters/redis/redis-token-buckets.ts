import { readFileSync } from 'node:fs'
import { decision, type RateDecision, type RatePolicy, type TokenBuckets } from '../../ports/token-buckets.js'
import { LocalTokenBuckets } from '../system/local-token-buckets.js'
import type { RedisClient } from './client.js'

const TAKE_TOKENS = readFileSync(new URL('./take-tokens.lua', import.meta.url), 'utf8')

// One key per call, so the script runs on a Redis Cluster as on one node.
type ScriptedRedis = RedisClient & {
  takeTokens(key: string, perMs: number, burst: number, want: number): Promise<[number, number, number]>
}

/** The part of a pino logger this adapter uses. */
export interface BucketLogger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

export interface RedisTokenBucketsOptions {
  /** Namespace of every key: `${prefix}ratelimit:${bucket}`. */
  keyPrefix: string
  logger: BucketLogger
  /** How long tokens taken from Redis may be spent here before they are given up. */
  leaseMs?: number
  /** How long after a failed command the buckets stay local before Redis is asked again. */
  retryMs?: number
}

/** Tokens this instance took from the shared bucket and spends without asking Redis again. */
interface Lease {
  tokens: number
  /** Whole tokens the shared bucket held after the grant. */
  left: number
  /** performance.now() after which the lease is given up. */
  expiresAt: number
  /** When the shared bucket was empty: performance.now() until which requests are refused without asking. */
  refusedUntil: number
}

/**
 * Token buckets shared by every instance through one Lua script in Redis. Asking Redis for every
 * request would cost each one a round trip, so an instance takes a lease of tokens at a time, a
 * twentieth of a second's worth (one, for slow buckets), spends it locally and gives up what is
 * left of it after `leaseMs`. The shared bucket so never grants more than its rate: instances
 * together may run ahead of it by at most one lease each, and leftovers are lost, not reused.
 * An empty shared bucket is remembered until its next token, so a caller over its limit costs
 * Redis nothing. When Redis fails, each instance limits on its own (LocalTokenBuckets) and says
 * so in the log, and again when Redis answers and the limits are shared once more.
 */
export class RedisTokenBuckets implements TokenBuckets {
  private readonly redis: ScriptedRedis
  private readonly leases = new Map<string, Lease>()
  private readonly asking = new Map<string, Promise<boolean>>()
  private readonly local = new LocalTokenBuckets()
  private localUntil = 0
  private readonly leaseMs: number
  private readonly retryMs: number

  constructor(
    redis: RedisClient,
    private readonly options: RedisTokenBucketsOptions,
  ) {
    redis.defineCommand('takeTokens', { numberOfKeys: 1, lua: TAKE_TOKENS })
    this.redis = redis as ScriptedRedis
    this.leaseMs = options.leaseMs ?? 1000
    this.retryMs = options.retryMs ?? 1000
  }

  take(bucket: string, policy: RatePolicy): RateDecision | Promise<RateDecision> {
    const now = performance.now()
    const lease = this.leases.get(bucket)
    if (lease && now < lease.expiresAt) {
      if (lease.tokens >= 1) {
        lease.tokens -= 1
        return decision(true, policy, lease.tokens + lease.left)
      }
      if (now < lease.refusedUntil) return decision(false, policy, 1 - ((lease.refusedUntil - now) * policy.perSecond) / 1000)
    }
    if (now < this.localUntil) return this.local.take(bucket, policy)
    // Requests that find the lease spent share one request for the next; each then tries again, or,
    // when Redis failed, decides here.
    return this.ask(bucket, policy).then((answered) => (answered ? this.take(bucket, policy) : this.local.take(bucket, policy)))
  }

  /** Asks Redis for a lease; resolves false when it did not answer. */
  private ask(bucket: string, policy: RatePolicy): Promise<boolean> {
    const running = this.asking.get(bucket)
    if (running) return running
    const want = Math.max(1, Math.min(Math.ceil(policy.perSecond / 20), Math.floor(policy.burst / 10)))
    const asked = this.redis
      .takeTokens(`${this.options.keyPrefix}ratelimit:${bucket}`, policy.perSecond / 1000, policy.burst, want)
      .then(
        ([granted, left, waitMs]) => {
          const now = performance.now()
          if (this.leases.size >= 100_000) this.forgetExpired(now)
          this.leases.set(bucket, { tokens: granted, left, expiresAt: now + this.leaseMs, refusedUntil: granted > 0 ? 0 : now + waitMs })
          if (this.localUntil !== 0) {
            this.localUntil = 0
            this.options.logger.info({ rateLimits: 'redis' }, 'rate limits: Redis answers again; limits are shared across instances')
          }
          return true
        },
        (error: unknown) => {
          if (this.localUntil === 0) {
            this.options.logger.warn(
              { rateLimits: 'local', reason: error instanceof Error ? error.message : String(error) },
              'rate limits: Redis does not answer; each instance limits on its own until it does',
            )
          }
          this.localUntil = performance.now() + this.retryMs
          return false
        },
      )
      .finally(() => this.asking.delete(bucket))
    this.asking.set(bucket, asked)
    return asked
  }

  private forgetExpired(now: number): void {
    for (const [bucket, lease] of this.leases) if (now >= lease.expiresAt && now >= lease.refusedUntil) this.leases.delete(bucket)
  }
}
