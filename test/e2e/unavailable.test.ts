import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closedPort } from './support/closed-port.js'
import { client, type RunningService, startService, UNKNOWN_KEY } from './support/service.js'

/** A TCP server that accepts connections and never says a word: a MariaDB that hangs. */
async function blackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

const bounds = { DB_CONNECT_TIMEOUT_MS: '500', DB_ACQUIRE_TIMEOUT_MS: '1000', DB_QUERY_TIMEOUT_MS: '1000' }

describe.each([
  ['refuses connections', async () => ({ port: await closedPort(), close: async () => {} })],
  ['accepts connections but never answers', blackhole],
])('when MariaDB %s', (_label, makeServer) => {
  let database: { port: number; close(): Promise<void> }
  let service: RunningService
  let api: ReturnType<typeof client>

  beforeAll(async () => {
    database = await makeServer()
    service = await startService({
      databaseUrl: `mysql://root@127.0.0.1:${database.port}/unreachable`,
      env: bounds,
      migrate: false,
    })
    // No key can be checked: every route but the health checks answers 503, as their handlers would.
    api = client(service.baseUrl, UNKNOWN_KEY)
  })
  afterAll(async () => {
    await service.stop()
    await database.close()
  })

  it.each([
    ['GET an account', () => api.get('/v1/accounts/1001')],
    ['create an account', () => api.createAccount(1001, '5')],
    ['transfer', () => api.transfer(1001, 2002, '1')],
  ])('%s answers 503 SERVICE_UNAVAILABLE without driver details', async (_name, call) => {
    const reply = await call()
    expect(reply.status).toBe(503)
    expect(reply.contentType).toMatch(/^application\/problem\+json/)
    expect(reply.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' })
    expect(JSON.stringify(reply.body)).not.toMatch(/ECONNREFUSED|timeout|ETIMEDOUT|mysql|127\.0\.0\.1|Error/i)
  })

  it('reports not ready but alive', async () => {
    expect(await api.get('/readyz')).toMatchObject({ status: 503 })
    expect(await api.get('/livez')).toMatchObject({ status: 200 })
  })
})
