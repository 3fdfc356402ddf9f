import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult } from 'kysely'
import { endClientSpan, startClientSpan } from '../telemetry/client-spans.js'
import { describeStatement } from './statement-spans.js'

/** The subset of mysql2's callback Pool that this adapter uses. */
export interface RawPool extends MysqlPool {
  getConnection(callback: (error: unknown, connection: RawConnection) => void): void
  on(event: 'connection', listener: (connection: RawConnection) => void): void
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

export interface PoolBounds {
  /** How long a caller may wait for a free connection before failing. */
  acquireTimeoutMs: number
  /** How long one statement may run; the connection is destroyed when it does not answer. */
  queryTimeoutMs: number
}

/**
 * Wraps mysql2's pool so that no caller waits without bound: mysql2 has no acquire timeout and
 * no default statement timeout, so a stalled server would otherwise hold requests forever.
 */
export function boundedPool(pool: RawPool, bounds: PoolBounds): MysqlPool {
  // kysely keys its per-connection state on the object we hand out, so hand out one per connection.
  const wrappers = new WeakMap<RawConnection, MysqlPoolConnection>()
  const wrap = (raw: RawConnection): MysqlPoolConnection => {
    let wrapper = wrappers.get(raw)
    if (!wrapper) {
      wrapper = timedConnection(raw, bounds.queryTimeoutMs)
      wrappers.set(raw, wrapper)
    }
    return wrapper
  }

  let ended: Promise<unknown> | undefined
  return {
    getConnection(callback) {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        callback(new AcquireTimeout(`No database connection within ${bounds.acquireTimeoutMs} ms`), undefined as never)
      }, bounds.acquireTimeoutMs)
      pool.getConnection((error, raw) => {
        if (settled) {
          // The caller gave up; give the late connection straight back.
          if (!error) raw.release()
          return
        }
        settled = true
        clearTimeout(timer)
        if (error) callback(error, undefined as never)
        else callback(null, wrap(raw))
      })
    },
    // Once, however many owners end it: kysely ends it only if it ever ran a query, so the
    // application ends it as well.
    end(callback) {
      ended ??= new Promise((resolve) => pool.end((error) => resolve(error)))
      void ended.then(callback)
    },
  }
}

function timedConnection(raw: RawConnection, timeout: number): MysqlPoolConnection {
  return {
    get config() {
      return raw.config
    },
    get threadId() {
      return raw.threadId
    },
    connect: (callback) => raw.connect(callback),
    destroy: () => raw.destroy(),
    release: () => raw.release(),
    query: (sql, parameters, callback) => {
      const span = startClientSpan(() => describeStatement(sql, raw.config))
      return raw.query({ sql, timeout }, parameters, (error, result) => {
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
