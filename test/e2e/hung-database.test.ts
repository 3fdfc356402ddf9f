import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPrivateMariadb, type PrivateMariadb } from './support/private-mariadb.js'
import { client, type Reply, type RunningService, startService, timed } from './support/service.js'

// The default deadline (REQUEST_DEADLINE_MS=5000): the README's one bound. The margin covers a
// loaded 2-core machine; what is asserted is that nothing waits for the 10 s statement timeout.
const DEADLINE_MS = 5000
const MARGIN_MS = 1500

let mariadb: PrivateMariadb
let service: RunningService
let api: ReturnType<typeof client>

beforeAll(async () => {
  mariadb = await startPrivateMariadb()
  // Authentication off: with it on, a frozen database already fails the key check (within 1 s),
  // and these requests are to reach the reads and the write path.
  service = await startService({ databaseUrl: `${mariadb.url}/e2e_hung`, auth: false })
  api = client(service)
})
afterAll(async () => {
  mariadb?.thaw()
  await service?.stop()
  await mariadb?.stop()
})

const body = (amount: string) => ({ source_account_id: 1, destination_account_id: 2, amount })

function expectUnavailable({ reply, ms }: { reply: Reply; ms: number }, boundMs: number): void {
  expect(reply.status).toBe(503)
  expect(reply.contentType).toMatch(/^application\/(problem\+)?json/)
  expect(Number(reply.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  expect(ms).toBeLessThan(boundMs)
}

describe('with MariaDB killed (SIGKILL) under keyed load, then started again', () => {
  it('answers only 201 or 503 with Retry-After within the deadline during the outage, recovers without a restart, and every key applies exactly once', async () => {
    expect((await api.createAccount(3, '1000000')).status).toBe(201)
    expect((await api.createAccount(4, '0')).status).toBe(201)
    const move = { source_account_id: 3, destination_account_id: 4, amount: '1' }
    const keys: string[] = []
    const answers: { key: string; reply: Reply; ms: number }[] = []
    let sending = true
    // Eight clients, each sending keyed transfers one after another until told to stop.
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; sending; i++) {
        const key = `killed-${c}-${i}`
        keys.push(key)
        const answer = { key, ...(await timed(() => api.post('/v1/transfers', move, { 'idempotency-key': key }))) }
        answers.push(answer)
        // As a client honouring Retry-After would, if less patiently.
        if (answer.reply.status === 503) await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    await mariadb.kill()
    const killedAt = answers.length
    await new Promise((resolve) => setTimeout(resolve, 1500))
    sending = false
    await Promise.all(clients)

    expect(killedAt).toBeGreaterThan(0)
    const during = answers.slice(killedAt)
    expect(during.some(({ reply }) => reply.status === 503)).toBe(true)
    for (const { reply, ms } of answers) {
      expect([201, 503]).toContain(reply.status)
      expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS)
      if (reply.status === 503) {
        expectUnavailable({ reply, ms }, DEADLINE_MS + MARGIN_MS)
        expect(['SERVICE_UNAVAILABLE', 'COMMIT_OUTCOME_UNKNOWN']).toContain(reply.body.code)
      }
    }

    await mariadb.start()
    const backBy = performance.now() + 15_000
    while ((await api.get('/readyz')).status !== 200) expect(performance.now()).toBeLessThan(backBy)
    // Every key again: a committed one replays its transfer, the others apply now; none twice.
    const first = new Map(answers.map(({ key, reply }) => [key, reply]))
    const pending = [...keys]
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
          const again = await api.post('/v1/transfers', move, { 'idempotency-key': key })
          expect(again.status).toBe(201)
          const before = first.get(key)
          if (before?.status === 201) expect(again.body.transfer_id).toBe(before.body.transfer_id)
        }
      }),
    )
    expect(await api.balance(4)).toBe(String(keys.length))
    expect(await api.balance(3)).toBe(String(1_000_000 - keys.length))
  }, 90_000)
})

describe('with MariaDB frozen (SIGSTOP)', () => {
  it('answers writes and reads 503 with Retry-After within the deadline, /readyz 503 within about 1 s, then recovers, and the ledger is exact', async () => {
    expect((await api.createAccount(1, '1000')).status).toBe(201)
    expect((await api.createAccount(2, '0')).status).toBe(201)
    expect((await api.post('/v1/transfers', body('1'), { 'idempotency-key': 'before' })).status).toBe(201)

    mariadb.freeze()
    const frozenAt = performance.now()
    // Keyed, so that after the thaw each can be re-sent and applied exactly once whatever became of it.
    const writes = Array.from({ length: 20 }, (_, i) => timed(() => api.post('/v1/transfers', body('1'), { 'idempotency-key': `frozen-${i}` })))
    const reads = Array.from({ length: 10 }, () => timed(() => api.get('/v1/accounts/1')))
    const probes: { reply: Reply; ms: number }[] = []
    while (performance.now() - frozenAt < DEADLINE_MS + 1000) probes.push(await timed(() => api.get('/readyz')))
    const written = await Promise.all(writes)
    const read = await Promise.all(reads)
    mariadb.thaw()

    for (const probe of probes) expectUnavailable(probe, 1000 + MARGIN_MS)
    expect(probes.length).toBeGreaterThanOrEqual(4)
    for (const answer of read) expectUnavailable(answer, DEADLINE_MS + MARGIN_MS)
    for (const answer of written) {
      expectUnavailable(answer, DEADLINE_MS + MARGIN_MS)
      expect(['SERVICE_UNAVAILABLE', 'COMMIT_OUTCOME_UNKNOWN']).toContain(answer.reply.body.code)
    }

    // Back: ready again, and each keyed transfer re-sent is applied exactly once.
    const backBy = performance.now() + 10_000
    while ((await api.get('/readyz')).status !== 200) expect(performance.now()).toBeLessThan(backBy)
    for (let i = 0; i < 20; i++) expect((await api.post('/v1/transfers', body('1'), { 'idempotency-key': `frozen-${i}` })).status).toBe(201)
    expect(await api.balance(1)).toBe('979')
    expect(await api.balance(2)).toBe('21')
  })
})
