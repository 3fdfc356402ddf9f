import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

// Shorter bounds than the defaults (10 s, 30 s, 5 s) so the test does not take a minute; what is
// asserted is that each bound holds, within the 1 s Node's connection checks add and a margin for
// a loaded machine.
const HEADERS_MS = 2000
const REQUEST_MS = 4000
const KEEP_ALIVE_MS = 1000
const MARGIN_MS = 2500

let service: RunningService
let port: number

beforeAll(async () => {
  service = await startService({
    databaseUrl: freshDatabaseUrl('slow_clients'),
    env: {
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
    },
  })
  port = Number(new URL(service.baseUrl).port)
  expect((await client(service).createAccount(1, '100')).status).toBe(201)
})
afterAll(() => service?.stop())

interface Trickle {
  socket: Socket
  /** What the server sent, and when (ms after the start) it closed the connection. */
  closed: Promise<{ received: string; ms: number }>
}

/** Opens a raw connection that sends `text` one byte every `everyMs`, and never finishes unless cut. */
async function trickle(text: string, everyMs: number): Promise<Trickle> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const started = performance.now()
  let received = ''
  socket.on('data', (chunk) => (received += chunk.toString()))
  socket.on('error', () => {})
  const closed = new Promise<{ received: string; ms: number }>((resolve) =>
    socket.on('close', () => resolve({ received, ms: performance.now() - started })),
  )
  void (async () => {
    for (const byte of text) {
      if (socket.destroyed) return
      socket.write(byte)
      await sleep(everyMs)
    }
  })()
  return { socket, closed }
}

describe('slow and idle clients', () => {
  it('cuts a client that trickles its headers (slow loris) with 408 within the headers bound', async () => {
    const { closed } = await trickle(`GET /livez HTTP/1.1\r\nHost: x\r\n${'X-Pad: y\r\n'.repeat(50)}\r\n`, 200)
    const { received, ms } = await closed
    expect(received).toMatch(/^HTTP\/1\.1 408/)
    expect(ms).toBeLessThan(HEADERS_MS + MARGIN_MS)
  })

  it('cuts a client that trickles its body with 408 within the request bound, and applies nothing', async () => {
    const body = JSON.stringify({ source_account_id: 1, destination_account_id: 2, amount: '1' })
    const head = `POST /v1/transfers HTTP/1.1\r\nHost: x\r\nauthorization: Bearer ${service.key}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write(head)
    const started = performance.now()
    let received = ''
    socket.on('data', (chunk) => (received += chunk.toString()))
    socket.on('error', () => {})
    const closed = once(socket, 'close')
    for (const byte of body) {
      if (socket.destroyed || received) break
      socket.write(byte)
      await sleep(300)
    }
    await closed
    expect(received).toMatch(/^HTTP\/1\.1 408/)
    expect(performance.now() - started).toBeLessThan(REQUEST_MS + MARGIN_MS)
    expect(await client(service).balance(1)).toBe('100')
  })

  it('closes 300 idle keep-alive connections after the keep-alive bound, while everyone else is served at once', async () => {
    const idle = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const socket = connect(port, '127.0.0.1')
        await once(socket, 'connect')
        socket.on('error', () => {})
        socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n') // one request, then silence on a kept-alive connection
        await once(socket, 'data')
        const closed = once(socket, 'close').then(() => performance.now())
        return { socket, closed }
      }),
    )
    const since = performance.now()
    const api = client(service)
    for (let i = 0; i < 20; i++) {
      const started = performance.now()
      expect((await api.get('/v1/accounts/1')).status).toBe(200)
      expect(performance.now() - started).toBeLessThan(1000)
    }
    const closedAt = await Promise.all(idle.map(({ closed }) => closed))
    expect(Math.max(...closedAt) - since).toBeLessThan(KEEP_ALIVE_MS + MARGIN_MS)
  })
})
