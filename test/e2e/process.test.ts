import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { closedPort } from './support/closed-port.js'
import { client, dropDatabase, freshDatabaseUrl } from './support/service.js'
import { keysUnder } from './support/redis-keys.js'
import { spawnService } from './support/service-process.js'

const MAIN = new URL('../../dist/main.js', import.meta.url).pathname

/** Runs dist/main.js to its exit: its exit code, and what it wrote to stdout and stderr. */
async function runMain(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env } })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const [code] = await once(child, 'exit')
  return { code: code as number | null, output }
}

const runMigrate = (databaseUrl: string) => runMain(['migrate'], { DATABASE_URL: databaseUrl })

/** A start that fails: exit code 1 and one log line, at fatal, that is all it wrote. */
async function failedStart(env: Record<string, string>): Promise<Record<string, unknown>> {
  const { code, output } = await runMain([], { HOST: '127.0.0.1', REDIS_URL: '', ...env })
  expect(code).toBe(1)
  const lines = output.trim().split('\n').filter((line) => !line.includes('"level":30'))
  expect(lines, output).toHaveLength(1)
  const line = JSON.parse(lines[0] as string) as Record<string, unknown>
  expect(line.level).toBe(60)
  return line
}

/** Names the server a URL reaches, so a socket is trusted only when it leads to the same one. */
async function serverIdentity(databaseUrl: string): Promise<string> {
  const db = openDatabase(loadConfig({ DATABASE_URL: databaseUrl }).database)
  try {
    const { rows } = await sql<{ id: string }>`SELECT CONCAT_WS(' ', @@hostname, @@port, @@datadir, @@socket) AS id`.execute(db)
    return rows[0]?.id ?? ''
  } finally {
    await db.destroy()
  }
}

/**
 * The server's Unix socket when the server runs on this host (the local fallback of the suite),
 * undefined for a container, whose socket is not reachable from here.
 */
async function localSocket(databaseUrl: string): Promise<string | undefined> {
  const overTcp = new URL(databaseUrl)
  overTcp.pathname = '/information_schema'
  const identity = await serverIdentity(overTcp.toString())
  const socket = identity.split(' ').at(-1)
  if (!socket || !existsSync(socket)) return undefined
  const overSocket = new URL(`mysql://${overTcp.username}:${overTcp.password}@localhost/information_schema`)
  overSocket.searchParams.set('socketPath', socket)
  const same = await serverIdentity(overSocket.toString()).then((other) => other === identity, () => false)
  return same ? socket : undefined
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function withDatabase(databaseUrl: string) {
  const db = openDatabase(loadConfig({ DATABASE_URL: databaseUrl }).database)
  cleanups.push(async () => {
    await dropDatabase(db, databaseUrl)
    await db.destroy()
  })
  return db
}

/** The built service on `databaseUrl`, killed after the test if it is still running. */
async function spawnTracked(databaseUrl: string, env: Record<string, string> = {}) {
  const service = await spawnService({ DATABASE_URL: databaseUrl, ...env })
  cleanups.push(async () => {
    await service.stop()
  })
  return service
}

describe('the service process', () => {
  it('creates and migrates its database on start, serves the seed flow, and drains on SIGTERM', async () => {
    const databaseUrl = freshDatabaseUrl('process')
    const service = await spawnTracked(databaseUrl)
    const db = withDatabase(databaseUrl)
    const api = client(service)

    expect((await api.createAccount(1001, '500')).status).toBe(201)
    expect((await api.createAccount(2002, '0')).status).toBe(201)

    // Hold 2002's row so the next transfer is in flight when the signal arrives.
    const { pending, exitCode } = await db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = 2002 FOR UPDATE`.execute(holder)
      const pending = api.transfer(1001, 2002, '150')
      await sleep(200)
      service.child.kill('SIGTERM')
      await sleep(200)
      // Still draining: the process has not exited while a request is open.
      return { pending, exitCode: service.child.exitCode }
    })
    expect(exitCode).toBeNull()
    expect((await pending).status).toBe(201)
    expect(await service.exited).toBe(0)
    expect(service.output()).toContain('shutdown complete')

    const balances = await db.selectFrom('accounts').select(['account_id', 'balance']).orderBy('account_id').execute()
    expect(balances.map((row) => [Number(row.account_id), row.balance])).toEqual([
      [1001, '350.000000000000000000'],
      [2002, '150.000000000000000000'],
    ])
  })

  it('answers every request in flight on SIGTERM under load over keep-alive connections, idle ones included, exits 0, and the ledger is exact', async () => {
    const databaseUrl = freshDatabaseUrl('sigterm_load')
    const service = await spawnTracked(databaseUrl)
    const db = withDatabase(databaseUrl)
    const api = client(service)
    for (let id = 1; id <= 8; id++) expect((await api.createAccount(id, '1000')).status).toBe(201)
    // Idle keep-alive connections (one request each, then silence) must not hold the drain open.
    const { port } = new URL(service.baseUrl)
    const idle = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const socket = connect(Number(port), '127.0.0.1')
        socket.on('error', () => {})
        await once(socket, 'connect')
        socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n')
        await once(socket, 'data')
        return socket
      }),
    )
    // 16 clients keep sending over fetch's keep-alive connections until the service goes away.
    const moved = new Map<number, number>()
    let stopping = false
    const statuses: number[] = []
    const clients = Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; !stopping || i < 1; i++) {
        const [from, to] = [1 + ((w + i) % 8), 1 + ((w + i + 1 + (w % 3)) % 8)]
        if (from === to) continue
        const reply = await api.transfer(from, to, '1').catch(() => undefined) // refused once it stopped listening
        if (!reply) return
        statuses.push(reply.status)
        if (reply.status === 201) moved.set(from, (moved.get(from) ?? 0) - 1).set(to, (moved.get(to) ?? 0) + 1)
      }
    })
    await sleep(1000)
    service.child.kill('SIGTERM')
    stopping = true
    await Promise.all(clients)
    expect(await service.exited).toBe(0)
    for (const socket of idle) socket.destroy()
    // Every request that got an answer got a real one: committed, or refused as a whole.
    expect(statuses.length).toBeGreaterThan(50)
    expect(statuses.filter((status) => status !== 201)).toEqual([])
    const balances = await db.selectFrom('accounts').select(['account_id', 'balance']).orderBy('account_id').execute()
    expect(balances.map((row) => [Number(row.account_id), Number(row.balance)])).toEqual(
      Array.from({ length: 8 }, (_, i) => [i + 1, 1000 + (moved.get(i + 1) ?? 0)]),
    )
  })

  it('exits cleanly on SIGINT, and its keys leave the shared Redis with it', async () => {
    const databaseUrl = freshDatabaseUrl('sigint')
    const service = await spawnService({ DATABASE_URL: databaseUrl })
    withDatabase(databaseUrl)
    const api = client(service)
    expect((await api.get('/readyz')).status).toBe(200)
    expect((await api.createAccount(1, '5')).status).toBe(201)
    const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
    const prefix = `${new URL(databaseUrl).pathname.slice(1)}:`
    // Reads fill the cache once the service's Redis connection is up (it listens before).
    for (let tries = 0; (await keysUnder(redisUrl, prefix)).length === 0 && tries < 200; tries++) {
      expect(await api.balance(1)).toBe('5')
      await sleep(50)
    }
    // The cached account (and the caller's token bucket, by address with AUTH=off, once it asked Redis).
    expect(await keysUnder(redisUrl, prefix)).toContain(`${prefix}account:1`)
    service.child.kill('SIGINT')
    expect(await service.exited).toBe(0)
    expect(await keysUnder(redisUrl, prefix)).toEqual([])
  })

  it('reaches MariaDB through the Unix socket DATABASE_URL names (local server only)', async (context) => {
    const overTcp = freshDatabaseUrl('socket')
    const socket = await localSocket(overTcp)
    if (!socket) return context.skip('the database server is not on this host (a container): no socket to reach')
    const overSocket = new URL(overTcp)
    overSocket.host = 'localhost'
    overSocket.searchParams.set('socketPath', socket)
    const service = await spawnTracked(overSocket.toString())
    const db = withDatabase(overTcp)
    const api = client(service)

    expect((await api.createAccount(1, '10')).status).toBe(201)
    expect((await api.createAccount(2, '0')).status).toBe(201)
    expect((await api.transfer(1, 2, '2.5')).status).toBe(201)
    expect(await api.balance(2)).toBe('2.5')
    // A socket client shows as 'localhost' in the process list, a TCP one as 'address:port'.
    const database = overSocket.pathname.slice(1)
    const clients = await sql<{ host: string }>`SELECT host FROM information_schema.processlist WHERE db = ${database}`.execute(db)
    const hosts = clients.rows.map((row) => row.host)
    expect(hosts).toContain('localhost')
    service.child.kill('SIGTERM')
    expect(await service.exited).toBe(0)
  })

  it('`migrate` applies pending migrations once and exits', async () => {
    const databaseUrl = freshDatabaseUrl('migrate')
    withDatabase(databaseUrl)
    const first = await runMigrate(databaseUrl)
    expect(first).toMatchObject({ code: 0 })
    expect(first.output).toContain('applied migrations: 0001-accounts-and-transfers')
    const second = await runMigrate(databaseUrl)
    expect(second).toMatchObject({ code: 0 })
    expect(second.output).toContain('database is up to date')
  })

})

describe('a service that cannot start says why in one log line', () => {
  it('names every invalid variable', async () => {
    expect(await failedStart({ PORT: 'ninety', DB_POOL_SIZE: '0' })).toMatchObject({
      failed: 'configuration',
      variable: 'PORT, DB_POOL_SIZE',
      msg: 'Invalid configuration: PORT must be an integer from 0 to 65535, got "ninety"; DB_POOL_SIZE must be an integer from 1 to 1000, got "0"',
    })
  })

  it('names the database address it tried and DATABASE_URL', async () => {
    const port = await closedPort()
    expect(await failedStart({ DATABASE_URL: `mysql://root:secret@127.0.0.1:${port}/nowhere` })).toMatchObject({
      failed: 'database',
      variable: 'DATABASE_URL',
      code: 'ECONNREFUSED',
      msg: `cannot start: MariaDB at 127.0.0.1:${port} is not reachable (ECONNREFUSED); check DATABASE_URL`,
    })
  })

  it('names the port that is taken and PORT', async () => {
    const databaseUrl = freshDatabaseUrl('port_taken')
    withDatabase(databaseUrl)
    const holder = createServer().listen(0, '127.0.0.1')
    await once(holder, 'listening')
    cleanups.push(() => new Promise((resolve) => holder.close(() => resolve())))
    const { port } = holder.address() as { port: number }
    expect(await failedStart({ DATABASE_URL: databaseUrl, PORT: String(port) })).toMatchObject({
      failed: 'listen',
      variable: 'PORT',
      code: 'EADDRINUSE',
      msg: `cannot start: port ${port} on 127.0.0.1 is already in use; set PORT to a free port, or stop what holds it`,
    })
  })

  it('starts without its Redis, and says reads go to MariaDB instead of naming the cache as working', async () => {
    const databaseUrl = freshDatabaseUrl('redis_down')
    withDatabase(databaseUrl)
    const redisPort = await closedPort()
    const service = await spawnTracked(databaseUrl, { REDIS_URL: `redis://127.0.0.1:${redisPort}` })
    const cacheLines = () => service.logLines().filter((line) => 'cache' in line)
    for (let tries = 0; cacheLines().length === 0 && tries < 200; tries++) await sleep(25)
    expect(cacheLines()).toEqual([
      expect.objectContaining({
        level: 40,
        cache: 'unreachable',
        redis: `127.0.0.1:${redisPort}`,
        msg: `account cache: Redis at 127.0.0.1:${redisPort} is not reachable yet; reads go to MariaDB until it connects (REDIS_URL)`,
      }),
    ])
    const api = client(service)
    expect((await api.createAccount(1, '5')).status).toBe(201)
    expect(await api.balance(1)).toBe('5')
  })
})
