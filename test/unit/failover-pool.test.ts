import { describe, expect, it } from 'vitest'
import type { RawConnection, RawPool } from '../../src/adapters/mariadb/bounded-pool.js'
import { failoverPool, type OnFailover } from '../../src/adapters/mariadb/failover-pool.js'

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', fatal: true })
const notPrimary = () => Object.assign(new Error('WSREP has not yet prepared node for application use'), { code: 'ER_UNKNOWN_COM_ERROR', errno: 1047 })
const deadlock = () => Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 })

/** A server's pool as mysql2 behaves: it hands out connections, or fails to reach its server; its statements answer `answer()`. */
class FakeServer {
  reachable = true
  answer: () => unknown = () => undefined
  handedOut = 0
  constructor(readonly name: string) {}

  pool(): RawPool {
    return {
      getConnection: (callback) => {
        if (!this.reachable) return callback(refused(), undefined as never)
        this.handedOut++
        const connection = {
          config: { host: this.name },
          threadId: 1,
          connect: () => {},
          destroy: () => {},
          release: () => {},
          query: (_sql: unknown, _parameters: unknown, callback?: (error: unknown, result: never) => void) => {
            callback?.(this.answer(), [] as never)
            return {} as never
          },
        } as unknown as RawConnection
        callback(null, connection)
      },
      on: () => {},
      end: (callback) => callback(undefined),
    }
  }
}

const connect = (pool: RawPool) =>
  new Promise<RawConnection>((resolve, reject) => pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))))
const query = (connection: RawConnection) =>
  new Promise<void>((resolve, reject) => connection.query('SELECT 1', [], (error) => (error ? reject(error) : resolve())))

function cluster(count: number) {
  const servers = Array.from({ length: count }, (_, i) => new FakeServer(`node${i + 1}`))
  const moves: [number, number][] = []
  const onFailover: OnFailover = ({ from, to }) => moves.push([from, to])
  const pool = failoverPool(
    servers.map((server) => server.pool()),
    onFailover,
  )
  const hostOf = async () => ((await connect(pool)).config as { host: string }).host
  return { servers, moves, pool, hostOf }
}

describe('failoverPool', () => {
  it('uses the first server while it answers', async () => {
    const { servers, hostOf, moves } = cluster(3)
    for (let i = 0; i < 5; i++) expect(await hostOf()).toBe('node1')
    expect(servers.map((server) => server.handedOut)).toEqual([5, 0, 0])
    expect(moves).toEqual([])
  })

  it('moves to the next server when the current one cannot be reached, within the same request, and stays there', async () => {
    const { servers, hostOf, moves } = cluster(3)
    servers[0]!.reachable = false
    expect(await hostOf()).toBe('node2')
    servers[0]!.reachable = true // back is not required: it stays where it works
    expect(await hostOf()).toBe('node2')
    expect(moves).toEqual([[0, 1]])
  })

  it('moves on when a connection it handed out loses its server, or the node leaves the primary component', async () => {
    const { servers, pool, hostOf, moves } = cluster(3)
    const first = await connect(pool)
    servers[0]!.answer = notPrimary
    await expect(query(first)).rejects.toMatchObject({ errno: 1047 })
    expect(await hostOf()).toBe('node2')
    const second = await connect(pool)
    servers[1]!.answer = () => Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })
    await expect(query(second)).rejects.toThrow('Connection lost')
    expect(await hostOf()).toBe('node3')
    expect(moves).toEqual([
      [0, 1],
      [1, 2],
    ])
  })

  it('stays on a server whose statements fail for reasons of their own', async () => {
    const { servers, pool, hostOf } = cluster(2)
    servers[0]!.answer = deadlock
    await expect(query(await connect(pool))).rejects.toMatchObject({ errno: 1213 })
    expect(await hostOf()).toBe('node1')
  })

  it('moves once however many callers saw the same server fail', async () => {
    const { servers, pool, moves } = cluster(3)
    const connections = await Promise.all([connect(pool), connect(pool), connect(pool)])
    servers[0]!.answer = notPrimary
    await Promise.allSettled(connections.map(query))
    expect(moves).toEqual([[0, 1]])
  })

  it('gives the error once every server has been tried, and goes round the list', async () => {
    const { servers, pool, hostOf } = cluster(2)
    for (const server of servers) server.reachable = false
    await expect(connect(pool)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    servers[0]!.reachable = true
    expect(await hostOf()).toBe('node1')
  })

  it('is the pool itself when there is one server', () => {
    const only = new FakeServer('db').pool()
    expect(failoverPool([only])).toBe(only)
  })
})
