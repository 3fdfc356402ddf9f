import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MariadbIdempotencyRecords } from '../../src/adapters/mariadb/idempotency-records.js'
import { sweepIdempotencyKeys } from '../../src/app/sweep-idempotency-keys.js'
import { ObservedUnitOfWork } from './support/observed-unit-of-work.js'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

let service: RunningService
let store: ObservedUnitOfWork
let api: ReturnType<typeof client>
let nextId = 1

beforeAll(async () => {
  service = await startService({
    databaseUrl: freshDatabaseUrl('idempotency'),
    env: { DB_LOCK_WAIT_TIMEOUT_S: '1' },
    decorateUnitOfWork: (inner) => (store = new ObservedUnitOfWork(inner)),
  })
  api = client(service)
})
afterAll(() => service.stop())

/** Two fresh accounts: the first holds `balance`, the second nothing. */
async function pair(balance = '100'): Promise<[number, number]> {
  const [a, b] = [nextId++, nextId++]
  await api.createAccount(a, balance)
  await api.createAccount(b, '0')
  return [a, b]
}

const keyed = (key: string) => ({ 'idempotency-key': key })
const transferBody = (from: number, to: number, amount: string) => ({
  source_account_id: from,
  destination_account_id: to,
  amount,
})
const transfersBetween = async (from: number, to: number) =>
  service.db.selectFrom('transfers').selectAll().where('source_account_id', '=', from).where('destination_account_id', '=', to).execute()

describe('the Idempotency-Key header', () => {
  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space inside', 'two words'],
    ['a non-ASCII character', 'clé'],
  ])('is refused with 400 when %s', async (_label, key) => {
    const [a, b] = await pair()
    const reply = await api.post('/v1/transfers', transferBody(a, b, '1'), keyed(key))
    expect(reply).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } })
    expect(reply.body.detail).toContain('idempotency-key')
    expect(await transfersBetween(a, b)).toHaveLength(0)
  })

  it('accepts 255 visible ASCII characters', async () => {
    const [a, b] = await pair()
    const key = '!~'.repeat(127) + 'x'
    expect((await api.post('/v1/transfers', transferBody(a, b, '1'), keyed(key))).status).toBe(201)
  })
})

describe('a keyed transfer', () => {
  it('is replayed byte for byte, with Idempotent-Replayed, and applied once', async () => {
    const [a, b] = await pair()
    const first = await api.post('/v1/transfers', transferBody(a, b, '30'), keyed('replay-1'))
    expect(first.status).toBe(201)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    for (let i = 0; i < 3; i++) {
      const again = await api.post('/v1/transfers', transferBody(a, b, '30'), keyed('replay-1'))
      expect(again.status).toBe(201)
      expect(again.text).toBe(first.text)
      expect(again.headers.get('idempotent-replayed')).toBe('true')
    }
    // Field order does not change the request.
    const reordered = await api.post('/v1/transfers', { amount: '30', destination_account_id: b, source_account_id: a }, keyed('replay-1'))
    expect(reordered.text).toBe(first.text)
    expect(await transfersBetween(a, b)).toHaveLength(1)
    expect(await api.balance(a)).toBe('70')
  })

  it('answers 422 IDEMPOTENCY_KEY_REUSED to the same key with a different body or route', async () => {
    const [a, b] = await pair()
    await api.post('/v1/transfers', transferBody(a, b, '1'), keyed('reuse-1'))
    const other = await api.post('/v1/transfers', transferBody(a, b, '2'), keyed('reuse-1'))
    expect(other).toMatchObject({ status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED' } })
    const elsewhere = await api.post('/v1/accounts', { account_id: nextId++, initial_balance: '1' }, keyed('reuse-1'))
    expect(elsewhere).toMatchObject({ status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED' } })
    expect(await api.balance(a)).toBe('99')
  })

  it('makes exactly one transfer out of 50 concurrent requests with one key', async () => {
    const [a, b] = await pair()
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => api.post('/v1/transfers', transferBody(a, b, '7'), keyed('concurrent-1'))),
    )
    const made = await transfersBetween(a, b)
    expect(made).toHaveLength(1)
    for (const reply of replies) {
      if (reply.status === 409) expect(reply.body.code).toBe('IDEMPOTENCY_KEY_IN_USE')
      else expect(reply).toMatchObject({ status: 201, body: { transfer_id: made[0]?.transfer_id } })
    }
    expect(replies.filter((reply) => reply.headers.get('idempotent-replayed') === null && reply.status === 201)).toHaveLength(1)
    expect(await api.balance(a)).toBe('93')
  })

  it('saves business refusals: 422 and 404 are replayed even after the cause went away', async () => {
    const [a, b] = await pair('5')
    const broke = await api.post('/v1/transfers', transferBody(a, b, '10'), keyed('refused-422'))
    expect(broke).toMatchObject({ status: 422, body: { code: 'INSUFFICIENT_FUNDS' } })
    const missing = nextId++
    const unknown = await api.post('/v1/transfers', transferBody(a, missing, '1'), keyed('refused-404'))
    expect(unknown).toMatchObject({ status: 404, body: { code: 'ACCOUNT_NOT_FOUND' } })

    await api.createAccount(missing, '0')
    const funder = nextId++
    await api.createAccount(funder, '100')
    await api.transfer(funder, a, '100')

    const brokeAgain = await api.post('/v1/transfers', transferBody(a, b, '10'), keyed('refused-422'))
    expect(brokeAgain.status).toBe(422)
    expect(brokeAgain.text).toBe(broke.text)
    expect(brokeAgain.headers.get('idempotent-replayed')).toBe('true')
    const unknownAgain = await api.post('/v1/transfers', transferBody(a, missing, '1'), keyed('refused-404'))
    expect(unknownAgain.text).toBe(unknown.text)
    expect(await api.balance(a)).toBe('105')
  })

  it('does not save validation failures: the corrected retry goes through', async () => {
    const [a, b] = await pair()
    expect((await api.post('/v1/transfers', transferBody(a, b, '-1'), keyed('invalid-1'))).status).toBe(400)
    expect((await api.post('/v1/transfers', transferBody(a, a, '1'), keyed('invalid-1'))).status).toBe(400)
    const fixed = await api.post('/v1/transfers', transferBody(a, b, '1'), keyed('invalid-1'))
    expect(fixed.status).toBe(201)
    expect(fixed.headers.get('idempotent-replayed')).toBeNull()
  })

  it('does not save a 503: once the database answers again the retry goes through', async () => {
    const [a, b] = await pair()
    await service.db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = ${b} FOR UPDATE`.execute(holder)
      const reply = await api.post('/v1/transfers', transferBody(a, b, '1'), keyed('outage-1'))
      expect(reply).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } })
    })
    const retry = await api.post('/v1/transfers', transferBody(a, b, '1'), keyed('outage-1'))
    expect(retry.status).toBe(201)
    expect(retry.headers.get('idempotent-replayed')).toBeNull()
    expect(await transfersBetween(a, b)).toHaveLength(1)
  })

  it('answers 409 IDEMPOTENCY_KEY_IN_USE while another holder of the key keeps running', async () => {
    const [a, b] = await pair()
    await service.db.transaction().execute(async (holder) => {
      // Another request's claim on the key, not committed yet.
      await holder
        .insertInto('idempotency_keys')
        .values({ idempotency_key: `${service.keyId} held-1`, fingerprint: 'x'.repeat(64), expires_at: new Date(Date.now() + 60_000) })
        .execute()
      const reply = await api.post('/v1/transfers', transferBody(a, b, '1'), keyed('held-1'))
      expect(reply).toMatchObject({ status: 409, body: { code: 'IDEMPOTENCY_KEY_IN_USE' } })
      await sql`ROLLBACK`.execute(holder).catch(() => {})
      throw new Error('roll back the holder')
    }).catch((error: Error) => expect(error.message).toBe('roll back the holder'))
    expect((await api.post('/v1/transfers', transferBody(a, b, '1'), keyed('held-1'))).status).toBe(201)
    expect(await transfersBetween(a, b)).toHaveLength(1)
  })
})

describe('a COMMIT whose answer is lost', () => {
  it.each(['committed', 'rolled back'] as const)(
    'is answered 503 telling to retry with the key; the retry settles it exactly once (%s)',
    async (outcome) => {
      const [a, b] = await pair()
      store.loseNextCommit(outcome)
      const lost = await api.post('/v1/transfers', transferBody(a, b, '25'), keyed(`lost-${outcome.replace(" ", "-")}`))
      expect(lost).toMatchObject({ status: 503, body: { code: 'COMMIT_OUTCOME_UNKNOWN' } })
      expect(lost.body.detail).toContain('same Idempotency-Key')

      const retry = await api.post('/v1/transfers', transferBody(a, b, '25'), keyed(`lost-${outcome.replace(" ", "-")}`))
      expect(retry.status).toBe(201)
      expect(retry.headers.get('idempotent-replayed')).toBe(outcome === 'committed' ? 'true' : null)
      const made = await transfersBetween(a, b)
      expect(made.map((row) => row.transfer_id)).toEqual([retry.body.transfer_id])
      expect(await api.balance(a)).toBe('75')
      expect(await api.balance(b)).toBe('25')
    },
  )
})

describe('keyed account creation', () => {
  it('replays the 201, and saves the 409 of a taken id', async () => {
    const id = nextId++
    const body = { account_id: id, initial_balance: '12.5' }
    const first = await api.post('/v1/accounts', body, keyed('open-1'))
    expect(first.status).toBe(201)
    const again = await api.post('/v1/accounts', body, keyed('open-1'))
    expect(again).toMatchObject({ status: 201, text: first.text })
    expect(again.headers.get('idempotent-replayed')).toBe('true')

    const taken = await api.post('/v1/accounts', body, keyed('open-2'))
    expect(taken).toMatchObject({ status: 409, body: { code: 'ACCOUNT_EXISTS' } })
    const takenAgain = await api.post('/v1/accounts', body, keyed('open-2'))
    expect(takenAgain).toMatchObject({ status: 409, text: taken.text })
    expect(takenAgain.headers.get('idempotent-replayed')).toBe('true')
  })
})

describe('key retention', () => {
  it('keeps keys for the retention period and sweeps expired ones in bounded batches', async () => {
    const [a, b] = await pair()
    for (let i = 0; i < 5; i++) await api.post('/v1/transfers', transferBody(a, b, '1'), keyed(`sweep-${i}`))
    const rows = await service.db.selectFrom('idempotency_keys').select(['idempotency_key', 'created_at', 'expires_at']).where('idempotency_key', 'like', `${service.keyId} sweep-%`).execute()
    for (const row of rows) expect(row.expires_at.getTime() - row.created_at.getTime()).toBeGreaterThanOrEqual(24 * 3_600_000 - 1000)

    await service.db.updateTable('idempotency_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('idempotency_key', 'in', ['sweep-0', 'sweep-1', 'sweep-2'].map((key) => `${service.keyId} ${key}`)).execute()
    const sweep = sweepIdempotencyKeys({
      records: new MariadbIdempotencyRecords(service.db),
      clock: { now: () => new Date() },
      batchSize: 2,
      maxBatches: 10,
    })
    expect(await sweep()).toBeGreaterThanOrEqual(3)
    const left = await service.db.selectFrom('idempotency_keys').select('idempotency_key').where('idempotency_key', 'like', `${service.keyId} sweep-%`).execute()
    expect(left.map((row) => row.idempotency_key).sort()).toEqual(['sweep-3', 'sweep-4'].map((key) => `${service.keyId} ${key}`))
    // A swept key is free again: the next request with it is new.
    const reused = await api.post('/v1/transfers', transferBody(a, b, '2'), keyed('sweep-0'))
    expect(reused.status).toBe(201)
    await sleep(0)
  })
})
