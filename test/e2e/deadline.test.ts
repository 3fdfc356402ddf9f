import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Reply, serviceWithOutsideLocks, timed } from './support/service.js'

// The defaults (REQUEST_DEADLINE_MS=5000, DB_LOCK_WAIT_TIMEOUT_S=3, 3 lock-wait attempts), which
// added up to more than 9 s before the one deadline. The margin is for a loaded 2-core machine.
const DEADLINE_MS = 5000
const MARGIN_MS = 1500

let locks: Awaited<ReturnType<typeof serviceWithOutsideLocks>> | undefined

beforeAll(async () => {
  locks = await serviceWithOutsideLocks('deadline', [1, 2, 3, 4], '1000')
})
afterAll(() => locks?.stop())

describe('rows locked from outside for longer than the deadline', () => {
  it('answers every keyed transfer that needs them 503 with Retry-After: 1 within the deadline, keeps reads working, and changes nothing', async () => {
    const { api, outside } = locks!
    const transfer = (i: number) => api.post('/v1/transfers', { source_account_id: 1, destination_account_id: 2, amount: '1' }, { 'idempotency-key': `locked-${i}` })
    const { written, reads } = await outside.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id IN (1, 2) FOR UPDATE`.execute(holder)
      const written = Promise.all(Array.from({ length: 60 }, (_, i) => timed(() => transfer(i))))
      // Meanwhile reads go through their own pool: the account, a transfer record, a history.
      const reads: { reply: Reply; ms: number }[] = []
      for (let i = 0; i < 20; i++) {
        reads.push(await timed(() => api.get('/v1/accounts/1')), await timed(() => api.get('/v1/accounts/3/transfers')))
      }
      const answers = await written
      return { written: answers, reads }
    })
    for (const { reply, ms } of written) {
      expect(reply).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } })
      expect(reply.headers.get('retry-after')).toBe('1')
      expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS)
    }
    for (const { reply, ms } of reads) {
      expect(reply.status).toBe(200)
      expect(ms).toBeLessThan(1000)
    }
    expect(await api.balance(1)).toBe('1000')
    expect(await api.balance(2)).toBe('1000')
    // Once the rows are free, the same keys go through, each once.
    for (let i = 0; i < 60; i++) expect((await transfer(i)).status).toBe(201)
    expect(await api.balance(1)).toBe('940')
    expect(await api.balance(2)).toBe('1060')
  })
})
