import { execFile } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { type OtlpReceiver, startOtlpReceiver } from './support/otlp-receiver.js'
import { type RedisServer, startRedisServer } from './support/redis-server.js'
import { client, createKey, dropDatabase, freshDatabaseUrl } from './support/service.js'
import { type ServiceProcess, spawnService } from './support/service-process.js'

// Access control across real processes as `npm start` runs them: a revocation reaches every
// instance, rate limits are shared through Redis and fall back to each instance without it, and no
// secret reaches a log line, a span or an answer.

const run = promisify(execFile)
const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A fresh database, migrated, dropped afterwards. */
async function database(label: string): Promise<string> {
  const url = freshDatabaseUrl(label)
  cleanups.push(async () => {
    const db = openDatabase(loadConfig({ DATABASE_URL: url }).database)
    await dropDatabase(db, url)
    await db.destroy()
  })
  await run(process.execPath, ['dist/main.js', 'migrate'], { env: { ...process.env, DATABASE_URL: url } })
  return url
}

async function spawn(env: Record<string, string>): Promise<ServiceProcess> {
  const service = await spawnService({ AUTH: 'on', ...env })
  cleanups.push(async () => {
    service.child.kill('SIGTERM')
    await service.exited
  })
  return service
}

/** The service listens before it has connected to Redis: until then its limits are its own. */
async function redisConnected(service: ServiceProcess): Promise<void> {
  for (let i = 0; i < 200 && !service.logLines().some((line) => line.cache === 'redis'); i++) await sleep(50)
  expect(service.logLines().some((line) => line.cache === 'redis'), service.output()).toBe(true)
}

/** `npm run keys -- …` as the README has it, without npm's own start-up: the built entry point. */
async function keys(databaseUrl: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['dist/main.js', 'keys', ...args], { env: { ...process.env, DATABASE_URL: databaseUrl } })
}

describe('two instances', () => {
  it('both refuse a revoked key within a second of `keys revoke`', async () => {
    const databaseUrl = await database('revoke')
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: '' }
    const instances = await Promise.all([spawn(env), spawn(env)])
    const { stdout } = await keys(databaseUrl, 'create', '--name', 'soon-revoked', '--scopes', 'accounts:read')
    const text = stdout.trim()
    const id = /^itk_([a-z2-7]{12})_/.exec(text)?.[1] as string
    const apis = instances.map((instance) => client(instance.baseUrl, text))
    for (const api of apis) expect((await api.get('/v1/accounts/1')).status).toBe(404)

    const { stderr } = await keys(databaseUrl, 'revoke', id)
    expect(stderr).toContain(`revoked API key ${id}`)
    // Each instance trusts a lookup for AUTH_KEY_CACHE_MS (500) from when it sent the read: a request
    // that arrives a second after the revocation committed is refused by both.
    await sleep(1000)
    for (const api of apis) expect((await api.get('/v1/accounts/1')).status).toBe(401)
    const listed = (await keys(databaseUrl, 'list')).stdout
    expect(listed).toMatch(new RegExp(`^${id} +soon-revoked +accounts:read +all +\\S+Z +\\S+Z$`, 'm'))
    expect(listed).not.toContain(text.slice(17))
  })

  it('share one token bucket per key through Redis', async () => {
    const databaseUrl = await database('limits_shared')
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_KEY_PREFIX: `${new URL(databaseUrl).pathname.slice(1)}:`,
      RATE_LIMIT_PER_KEY: '1/h',
      RATE_LIMIT_PER_KEY_BURST: '6',
    }
    const instances = await Promise.all([spawn(env), spawn(env)])
    for (const instance of instances) await redisConnected(instance)
    const key = await createKey(databaseUrl)
    const [a, b] = instances.map((instance) => client(instance.baseUrl, key.text)) as [ReturnType<typeof client>, ReturnType<typeof client>]
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await a.get('/v1/accounts/1')).status, (await b.get('/v1/accounts/1')).status)
    // Six tokens between both instances, not six each.
    expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 429, 429])
    const refused = await b.get('/v1/accounts/1')
    expect(refused).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } })
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60)
    expect(refused.headers.get('ratelimit-limit')).toBe('6')
    expect(refused.headers.get('ratelimit-remaining')).toBe('0')
    // Another key has a bucket of its own.
    expect((await a.get('/v1/accounts/1', )).status).toBe(429)
    expect((await client(instances[0]!.baseUrl, (await createKey(databaseUrl)).text).get('/v1/accounts/1')).status).toBe(404)
    // Without a key: the bucket of the client address.
    expect((await client(instances[0]!.baseUrl).get('/v1/accounts/1')).headers.get('ratelimit-limit')).toBe('40')
  })
})

describe('with Redis down', () => {
  let redis: RedisServer
  it('each instance limits on its own and says so, then shares again once Redis is back', async () => {
    redis = await startRedisServer()
    cleanups.push(() => redis.stop())
    const databaseUrl = await database('limits_local')
    const service = await spawn({ DATABASE_URL: databaseUrl, REDIS_URL: redis.url, RATE_LIMIT_PER_KEY: '1/h', RATE_LIMIT_PER_KEY_BURST: '3' })
    const api = client(service.baseUrl, (await createKey(databaseUrl)).text)
    await redisConnected(service)
    expect((await api.get('/v1/accounts/1')).status).toBe(404)
    expect(service.logLines().some((line) => line.rateLimits !== undefined)).toBe(false)
    await redis.kill()
    try {
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) statuses.push((await api.get('/v1/accounts/1')).status)
      // Limited, neither failing open nor closed: this instance's own bucket of 3.
      expect(statuses).toEqual([404, 404, 404, 429, 429])
      const warned = service.logLines().find((line) => line.rateLimits === 'local')
      expect(warned).toMatchObject({ level: 40, msg: 'rate limits: Redis does not answer; each instance limits on its own until it does' })
    } finally {
      await redis.restart()
    }
    for (let i = 0; i < 100 && !service.logLines().some((line) => line.rateLimits === 'redis'); i++) {
      await api.get('/v1/accounts/1')
      await sleep(100)
    }
    expect(service.logLines().find((line) => line.rateLimits === 'redis')).toMatchObject({ level: 30 })
  })
})

describe('secrets', () => {
  let receiver: OtlpReceiver
  it('never reach a log line, a span, an answer or the API document; the key id reaches every one of a request', async () => {
    receiver = await startOtlpReceiver()
    cleanups.push(() => receiver.close())
    const databaseUrl = await database('secrets')
    const service = await spawn({
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'trace',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      RATE_LIMIT_PER_KEY: '1/h',
      RATE_LIMIT_PER_KEY_BURST: '8',
    })
    const key = await createKey(databaseUrl)
    const other = await createKey(databaseUrl)
    const secrets = [key.text, key.text.slice(17), other.text, other.text.slice(17)]
    const api = client(service.baseUrl, key.text)
    const answers: string[] = []
    const keep = async (reply: Promise<{ text: string; headers: Headers }>) => {
      const { text, headers } = await reply
      answers.push(text, JSON.stringify([...headers]))
    }
    await keep(api.createAccount(1, '10'))
    await keep(api.createAccount(2, '0'))
    await keep(api.post('/v1/transfers', { source_account_id: 1, destination_account_id: 2, amount: '1' }, { 'idempotency-key': 'k-1' }))
    await keep(api.get('/v1/accounts/1'))
    await keep(api.get('/v1/accounts/1/transfers'))
    await keep(api.get('/v1/accounts/abc')) // a 400
    // A wrong secret for the real id, the other key sent malformed, and the key in the wrong header.
    await keep(client(service.baseUrl, `${key.text.slice(0, -3)}xyz`).get('/v1/accounts/1'))
    await keep(client(service.baseUrl, `${other.text}!`).get('/v1/accounts/1'))
    await keep(client(service.baseUrl).send('GET', '/v1/accounts/1', undefined, { 'x-api-key': other.text }))
    for (let i = 0; i < 4; i++) await keep(api.get('/v1/accounts/2')) // the last ones 429
    expect(answers.some((answer) => answer.includes('RATE_LIMITED'))).toBe(true)
    await keep(client(service.baseUrl).get('/docs/json'))

    const spans = await receiver.waitFor((all) => all.filter((span) => span.kind === 2).length >= 13)
    service.child.kill('SIGTERM')
    await service.exited
    const logs = service.output()
    const exported = JSON.stringify(receiver.spans())
    for (const secret of secrets) {
      expect(logs, 'logs').not.toContain(secret)
      expect(exported, 'spans').not.toContain(secret)
      for (const answer of answers) expect(answer, 'answers').not.toContain(secret)
    }

    // Every line written for a request of the key names it; the trace of a keyed request, every span of it.
    const requestLines = service.logLines().filter((line) => line.reqId !== undefined && line.msg === 'request completed')
    expect(requestLines.length).toBeGreaterThanOrEqual(13)
    for (const line of requestLines) {
      const byKey = line.statusCode !== 401 && line.url !== '/docs/json'
      expect(line.api_key_id, JSON.stringify(line)).toBe(byKey ? key.id : undefined)
    }
    const transfer = spans.find((span) => span.kind === 2 && span.name === 'POST /v1/transfers')
    const ofTransfer = receiver.spans().filter((span) => span.traceId === transfer?.traceId)
    expect(ofTransfer.map((span) => span.name)).toEqual(expect.arrayContaining(['POST /v1/transfers', 'transfer-funds']))
    for (const span of ofTransfer) expect(span.attributes['app.api_key.id'], span.name).toBe(key.id)
  })
})
