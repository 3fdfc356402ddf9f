import type { RawConnection, RawPool } from './bounded-pool.js'
import { isServerLost } from './driver-errors.js'

/** Told when the pool leaves a server for the next one in the list. */
export type OnFailover = (event: { from: number; to: number; reason: unknown }) => void

/**
 * The servers DATABASE_URL lists, as one pool. Connections come from the current server (the
 * first, at start) until it fails — it cannot be reached, a connection to it is lost, or, as a
 * Galera node outside the primary component, it refuses statements — and from then on from the
 * next one in the list, round. A caller whose connection the current server cannot give tries
 * each other server once, within its acquire bound, before it gets the error. There is no moving
 * back: the pool stays on a server until that one fails in turn. Statements in flight on the
 * server left behind finish or fail there; its idle connections are dropped by mysql2 as they fail.
 */
export function failoverPool(pools: readonly RawPool[], onFailover: OnFailover = () => {}): RawPool {
  if (pools.length === 1) return pools[0] as RawPool
  let current = 0
  const failed = (index: number, reason: unknown) => {
    if (index !== current) return // another caller already moved on
    current = (index + 1) % pools.length
    onFailover({ from: index, to: current, reason })
  }
  const watched = (raw: RawConnection, index: number): RawConnection => ({
    get config() {
      return raw.config
    },
    get threadId() {
      return raw.threadId
    },
    connect: (callback) => raw.connect(callback),
    destroy: () => raw.destroy(),
    release: () => raw.release(),
    query: (options, parameters, callback) =>
      raw.query(options, parameters, (error, result) => {
        if (error && isServerLost(error)) failed(index, error)
        callback?.(error, result)
      }),
  })

  return {
    getConnection(callback) {
      const attempt = (tried: number) => {
        const index = current
        ;(pools[index] as RawPool).getConnection((error, raw) => {
          if (!error) return callback(null, watched(raw, index))
          if (!isServerLost(error)) return callback(error, raw)
          failed(index, error)
          if (tried + 1 < pools.length) attempt(tried + 1)
          else callback(error, raw)
        })
      }
      attempt(0)
    },
    on(event, listener) {
      for (const pool of pools) pool.on(event, listener)
    },
    get _freeConnections() {
      return { length: pools.reduce((sum, pool) => sum + (pool._freeConnections?.length ?? 0), 0) }
    },
    end(callback) {
      let left = pools.length
      let first: unknown
      for (const pool of pools) {
        pool.end((error: unknown) => {
          first ??= error ?? undefined
          if (--left === 0) callback?.(first as never)
        })
      }
    },
  } as RawPool
}
