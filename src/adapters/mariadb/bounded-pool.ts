import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult } from 'kysely'
import { endClientSpan, startClientSpan } from '../telemetry/client-spans.js'
import type { PoolRecorder } from '../telemetry/metrics/pool.js'
import { describeStatement } from './statement-spans.js'

/** The subset of mysql2's callback Pool that this adapter uses. */
export interface RawPool extends MysqlPool {
  getConnection(callback: (error: unknown, connection: RawConnection) => void): void
  on(event: 'connection', listener: (connection: RawConnection) => void): void
  /**
   * mysql2's own queue of idle connections. mysql2 exposes no count of its idle connections;
   * metrics read this one field, and report 0 should a mysql2 release rename it.
   */
  _freeConnections?: { length: number }
}

export interface RawConnection extends MysqlPoolConnection {
  query(
    options: string | { sql: string; timeout: number },
    parameters: unknown,
    callback?: (error: unknown, result: MysqlQueryResult) => void,
  ): ReturnType<MysqlPoolConnection['query']>
}

export class AcquireTimeout extends Error {
  readonly code = 'ACQUIRE_TIMEOUT'
}

/**
 * mysql2's "Queue limit reached." error, given the code it lacks so that a 503 can say why. The
 * message stays the same: driver-errors.ts recognises it by its text.
 */
export class QueueFull extends Error {
  readonly code = 'QUEUE_FULL'
}

export interface PoolBounds {
  /** How long a caller may wait for a free connection before failing. */
  acquireTimeoutMs: number
  /** How long one statement may run; the connection is destroyed when it does not answer. */
  queryTimeoutMs: number
  /** The most connections the pool opens (reported by the metrics). */
  poolSize: number
}

/**
 * A pool whose callers may ask for shorter bounds than its own: `getConnection`'s `withinMs` cuts
 * the wait for a connection, and a statement sent as `{ sql, timeout }` the wait for its answer
 * (each at most the pool's bound), so that a request's deadline caps both.
 */
export interface BoundedPool extends MysqlPool {
  getConnection(callback: (error: unknown, connection: BoundedConnection) => void, withinMs?: number): void
}

export interface BoundedConnection extends MysqlPoolConnection {
  query(
    sql: string | { sql: string; timeout: number },
    parameters: ReadonlyArray<unknown>,
    callback?: (error: unknown, result: MysqlQueryResult) => void,
  ): ReturnType<MysqlPoolConnection['query']>
}

/**
 * Wraps mysql2's pool so that no caller waits without bound: mysql2 has no acquire timeout and
 * no default statement timeout, so a stalled server would otherwise hold requests forever.
 */
export function boundedPool(pool: RawPool, bounds: PoolBounds, metrics?: PoolRecorder): BoundedPool {
  // Connections handed out and not yet given back, and callers still waiting: for the metrics.
  const inUse = new Set<RawConnection>()
  let pending = 0
  const stopObserving = metrics?.observe(() => ({
    used: inUse.size,
    idle: pool._freeConnections?.length ?? 0,
    pending,
    max: bounds.poolSize,
  }))

  // kysely keys its per-connection state on the object we hand out, so hand out one per connection.
  const wrappers = new WeakMap<RawConnection, BoundedConnection>()
  const wrap = (raw: RawConnection): BoundedConnection => {
    let wrapper = wrappers.get(raw)
    if (!wrapper) {
      wrapper = timedConnection(raw, bounds.queryTimeoutMs, () => inUse.delete(raw))
      wrappers.set(raw, wrapper)
    }
    return wrapper
  }

  let ended: Promise<unknown> | undefined
  return {
    getConnection(callback, withinMs = bounds.acquireTimeoutMs) {
      let settled = false
      const started = performance.now()
      const waitMs = Math.max(0, Math.min(withinMs, bounds.acquireTimeoutMs))
      pending++
      const timer = setTimeout(() => {
        settled = true
        pending--
        metrics?.timedOut()
        callback(new AcquireTimeout(`No database connection within ${waitMs} ms`), undefined as never)
      }, waitMs)
      pool.getConnection((error, raw) => {
        if (settled) {
          // The caller gave up; give the late connection straight back.
          if (!error) raw.release()
          return
        }
        settled = true
        pending--
        clearTimeout(timer)
        if (error) {
          const full = (error as { message?: unknown }).message === 'Queue limit reached.'
          callback(full ? new QueueFull('Queue limit reached.', { cause: error }) : error, undefined as never)
          return
        }
        inUse.add(raw)
        metrics?.acquired((performance.now() - started) / 1000)
        callback(null, wrap(raw))
      })
    },
    // Once, however many owners end it: kysely ends it only if it ever ran a query, so the
    // application ends it as well.
    end(callback) {
      ended ??= new Promise((resolve) => {
        stopObserving?.()
        pool.end((error) => resolve(error))
      })
      void ended.then(callback)
    },
  }
}

function timedConnection(raw: RawConnection, timeout: number, givenBack: () => void): BoundedConnection {
  return {
    get config() {
      return raw.config
    },
    get threadId() {
      return raw.threadId
    },
    connect: (callback) => raw.connect(callback),
    destroy: () => {
      givenBack()
      raw.destroy()
    },
    release: () => {
      givenBack()
      raw.release()
    },
    query: (statement, parameters, callback) => {
      const sql = typeof statement === 'string' ? statement : statement.sql
      const bound = typeof statement === 'string' ? timeout : Math.max(1, Math.min(statement.timeout, timeout))
      const span = startClientSpan(() => describeStatement(sql, raw.config))
      return raw.query({ sql, timeout: bound }, parameters, (error, result) => {
        endClientSpan(span, error)
        // The server may still answer later; a connection in that state must not be reused.
        if (isTimeout(error)) raw.destroy()
        callback?.(error, result)
      })
    },
  }
}

function isTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'PROTOCOL_SEQUENCE_TIMEOUT'
}
