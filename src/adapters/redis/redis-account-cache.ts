import { readFileSync } from 'node:fs'
import { Cluster } from 'ioredis'
import type { Account, AccountId } from '../../domain/account.js'
import { Money } from '../../domain/money.js'
import type { AccountCache } from '../../ports/account-cache.js'
import type { CacheMetrics } from '../telemetry/metrics/cache.js'
import type { RedisClient } from './client.js'
import { commandSpan } from './command-spans.js'

const PUT_IF_NEWER = readFileSync(new URL('./put-if-newer.lua', import.meta.url), 'utf8')

/** The part of a pino logger this adapter uses. */
export interface WarningLogger {
  warn(details: object, message: string): void
}

export interface RedisAccountCacheOptions {
  /** Namespace of every key: `${prefix}account:${id}`. */
  keyPrefix: string
  ttlSeconds: number
  /** Fraction of the TTL added at random, so keys filled together do not expire together. */
  ttlJitter?: number
  /** How often writes that failed are tried again. */
  repairIntervalMs?: number
  logger: WarningLogger
  /** Where lookups, writes and the connection's state are reported. */
  metrics?: CacheMetrics
  /**
   * Deletes the namespace's accounts once connected, and treats every read as a miss until that
   * is done: a process that ended between a COMMIT and its refresh left those accounts stale in
   * Redis, and nothing says which. Set by the service at start.
   */
  clearOnConnect?: boolean
}

type ScriptedRedis = RedisClient & {
  putIfNewer(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>
}

const REPAIR_BATCH = 200

/**
 * Cache-aside copy of accounts in Redis. Values carry their version and a Lua script refuses any
 * write that is not newer, so a slow miss-fill or a reordered refresh cannot bring back an old
 * balance. A write that fails leaves its ids "unsettled": reads of them go to the store, and the
 * write is retried in the background until it lands (the version check makes the retry safe).
 */
export class RedisAccountCache implements AccountCache {
  private readonly redis: ScriptedRedis
  private readonly unsettled = new Map<AccountId, Account>()
  private readonly repairTimer: NodeJS.Timeout
  private lastWarning = 0
  private readonly stopObserving: (() => void) | undefined
  /** False until the namespace has been cleared, with `clearOnConnect`: reads go to the store meanwhile. */
  private trusted: boolean

  constructor(
    redis: RedisClient,
    private readonly options: RedisAccountCacheOptions,
  ) {
    redis.defineCommand('putIfNewer', { lua: PUT_IF_NEWER })
    this.redis = redis as ScriptedRedis
    this.repairTimer = setInterval(() => void this.repair(), options.repairIntervalMs ?? 500)
    this.repairTimer.unref()
    this.stopObserving = options.metrics?.observe(() => ({ reachable: this.redis.status === 'ready', unsettled: this.unsettled.size }))
    this.trusted = !options.clearOnConnect
    if (options.clearOnConnect) {
      const clear = () =>
        void this.clear().then(
          () => (this.trusted = true),
          (error: unknown) => {
            this.warn(error, 'clearing the account cache at start failed; reads go to the database until it succeeds')
            // Tried again on the next connection.
            this.redis.once('ready', clear)
          },
        )
      if (this.redis.status === 'ready') clear()
      else this.redis.once('ready', clear)
    }
  }

  /**
   * Resolves once reads are served from Redis (the start-up clear is done), or after `withinMs`
   * (Redis unreachable: the service starts all the same, and clears once it connects).
   */
  async serving(withinMs: number): Promise<void> {
    const until = performance.now() + withinMs
    while (!this.trusted && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10))
  }

  key(id: AccountId): string {
    return `${this.options.keyPrefix}account:${id}`
  }

  async get(id: AccountId): Promise<Account | undefined> {
    const metrics = this.options.metrics
    if (!this.trusted || this.unsettled.has(id)) {
      metrics?.lookup('bypass')
      return undefined
    }
    try {
      const value = await commandSpan(this.redis, 'GET', () => this.redis.get(this.key(id)))
      const account = value === null ? undefined : decode(id, value)
      metrics?.lookup(account ? 'hit' : 'miss')
      return account
    } catch (error) {
      metrics?.lookup('error')
      this.warn(error, 'cache read failed; reading from the database')
      return undefined
    }
  }

  async put(accounts: readonly Account[]): Promise<void> {
    if (accounts.length === 0) return
    try {
      await this.write(accounts)
      for (const account of accounts) this.settle(account)
    } catch (error) {
      for (const account of accounts) this.unsettle(account)
      this.warn(error, 'cache write failed; the accounts are read from the database until a retry lands')
    }
  }

  /** Ids whose last write has not landed yet (for operators and tests). */
  unsettledIds(): AccountId[] {
    return [...this.unsettled.keys()]
  }

  close(): void {
    clearInterval(this.repairTimer)
    this.stopObserving?.()
  }

  /** Deletes every account of the namespace (on each master of a Cluster), by SCAN and UNLINK. */
  private async clear(): Promise<void> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis]
    for (const node of nodes) {
      let cursor = '0'
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${this.options.keyPrefix}account:*`, 'COUNT', 1000)
        cursor = next
        // In a Cluster the keys of one call must share a slot: there, one key a call.
        if (keys.length === 0) continue
        await (this.redis instanceof Cluster ? Promise.all(keys.map((key) => node.unlink(key))) : node.unlink(...keys))
      } while (cursor !== '0')
    }
  }

  private async write(accounts: readonly Account[]): Promise<void> {
    const ttlMs = this.options.ttlSeconds * 1000
    const jitter = this.options.ttlJitter ?? 0.1
    const keys = accounts.map((account) => this.key(account.id))
    const args = accounts.flatMap((account) => [
      account.version,
      encode(account),
      Math.round(ttlMs * (1 + Math.random() * jitter)),
    ])
    // ioredis sends a defined command as EVALSHA (EVAL once, if Redis lost the script). A script
    // may only touch keys of one slot in a Redis Cluster: there each key is a call of its own, and
    // auto-pipelining sends the calls for one node together.
    const put = () =>
      this.redis instanceof Cluster
        ? Promise.all(keys.map((key, i) => this.redis.putIfNewer(1, key, ...args.slice(i * 3, i * 3 + 3)))).then((counts) => counts.reduce((a, b) => a + b, 0))
        : this.redis.putIfNewer(keys.length, ...keys, ...args)
    try {
      const written = await commandSpan(this.redis, 'EVALSHA', put)
      this.options.metrics?.wrote(accounts.length, written)
    } catch (error) {
      this.options.metrics?.writeFailed(accounts.length)
      throw error
    }
  }

  /** Keeps the newest failed snapshot of each account. */
  private unsettle(account: Account): void {
    const known = this.unsettled.get(account.id)
    if (!known || known.version <= account.version) this.unsettled.set(account.id, account)
  }

  /** A landed write settles an id only if it is at least as new as the write that failed. */
  private settle(account: Account): void {
    const known = this.unsettled.get(account.id)
    if (known && known.version <= account.version) this.unsettled.delete(account.id)
  }

  private async repair(): Promise<void> {
    if (this.unsettled.size === 0 || this.redis.status !== 'ready') return
    const batch = [...this.unsettled.values()].slice(0, REPAIR_BATCH)
    try {
      await this.write(batch)
      for (const account of batch) this.settle(account)
    } catch (error) {
      this.warn(error, 'cache repair failed; will retry')
    }
  }

  /** At most one warning per five seconds: an outage must not flood the log. */
  private warn(error: unknown, message: string): void {
    const now = Date.now()
    if (now - this.lastWarning < 5000) return
    this.lastWarning = now
    const reason = error instanceof Error ? error.message : String(error)
    this.options.logger.warn({ reason, unsettled: this.unsettled.size }, message)
  }
}

/** What follows the version in a value: "<balance>:<pending debits>:<pending credits>". */
function encode(account: Account): string {
  return `${account.balance.toString()}:${account.pendingDebits.toString()}:${account.pendingCredits.toString()}`
}

/** A value in any other shape (one written before pending totals existed, say) is a miss. */
function decode(id: AccountId, value: string): Account | undefined {
  const [versionText = '', balanceText = '', debitsText = '', creditsText = '', ...rest] = value.split(':')
  const version = Number(versionText)
  const balance = Money.parse(balanceText)
  const pendingDebits = Money.parse(debitsText)
  const pendingCredits = Money.parse(creditsText)
  if (rest.length > 0 || !/^\d+$/.test(versionText) || !Number.isSafeInteger(version) || !balance || !pendingDebits || !pendingCredits) return undefined
  return { id, balance, pendingDebits, pendingCredits, version }
}
