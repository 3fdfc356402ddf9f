import { CompiledQuery } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MariadbTransferRecords } from '../../src/adapters/mariadb/transfer-records.js'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

let service: RunningService
let api: ReturnType<typeof client>

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('history') })
  api = client(service)
  for (const [id, balance] of [[1, '100000'], [2, '100000'], [3, '100000'], [4, '0']] as const) {
    await api.createAccount(id, balance)
  }
})
afterAll(() => service.stop())

describe('GET /v1/transfers/:transfer_id', () => {
  it('returns the record the transfer answered with', async () => {
    const made = await api.transfer(1, 2, '12.5')
    const read = await api.get(`/v1/transfers/${made.body.transfer_id}`)
    expect(read).toMatchObject({ status: 200, body: made.body })
    expect((await api.get(`/v1/transfers/${String(made.body.transfer_id).toUpperCase()}`)).body).toEqual(made.body)
  })

  it('answers 404 TRANSFER_NOT_FOUND for an unknown id', async () => {
    const reply = await api.get('/v1/transfers/019aab1c-4b91-7000-b107-b602d893984e')
    expect(reply).toMatchObject({ status: 404, body: { code: 'TRANSFER_NOT_FOUND' } })
  })

  it.each(['nope', '019aab1c4b917000b107b602d893984e', '019aab1c-4b91-7000-b107-b602d893984', '1'])(
    'answers 400 for the malformed id %s',
    async (id) => {
      expect(await api.get(`/v1/transfers/${id}`)).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } })
    },
  )
})

describe('GET /v1/accounts/:account_id/transfers', () => {
  it('lists both directions, newest first, each with its direction', async () => {
    await api.createAccount(10, '50')
    await api.createAccount(11, '50')
    const out = await api.transfer(10, 11, '1')
    const into = await api.transfer(11, 10, '2')
    const page = await api.get('/v1/accounts/10/transfers')
    expect(page.status).toBe(200)
    expect(page.body).toEqual({
      items: [
        { ...into.body, direction: 'incoming' },
        { ...out.body, direction: 'outgoing' },
      ],
      next_cursor: null,
    })
  })

  it('returns an empty page for an account without transfers and 404 for an unknown one', async () => {
    expect(await api.get('/v1/accounts/4/transfers')).toMatchObject({ status: 200, body: { items: [], next_cursor: null } })
    expect(await api.get('/v1/accounts/999/transfers')).toMatchObject({ status: 404, body: { code: 'ACCOUNT_NOT_FOUND' } })
  })

  it.each(['limit=0', 'limit=201', 'limit=abc', 'limit=1.5', 'limit=-1', 'cursor=%3D%3D', 'cursor=bm90LWEtY3Vyc29y', 'page=2'])(
    'answers 400 to %s',
    async (query) => {
      expect(await api.get(`/v1/accounts/1/transfers?${query}`)).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } })
    },
  )

  it('pages through 500 transfers with no duplicates and no gaps while new ones keep arriving', async () => {
    const before = new Set<string>()
    for (let round = 0; round < 50; round++) {
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? api.transfer(2, 3, '1') : api.transfer(3, 2, '1'))),
      )
      for (const reply of replies) {
        expect(reply.status).toBe(201)
        before.add(reply.body.transfer_id)
      }
    }

    const seen: { transfer_id: string; created_at: string }[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: { status: number; body: any } = await api.get(`/v1/accounts/3/transfers?limit=37${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.status).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(37)
      seen.push(...page.body.items)
      cursor = page.body.next_cursor
      pages++
      // Newer transfers arrive between pages, on both sides of account 3.
      await Promise.all([api.transfer(2, 3, '1'), api.transfer(3, 2, '1')])
    } while (cursor)

    const ids = seen.map((item) => item.transfer_id)
    expect(new Set(ids).size).toBe(ids.length)
    // Exactly the 500 that existed when paging began: the newer ones sort before page one.
    expect(ids.length).toBe(before.size)
    expect(ids.every((id) => before.has(id))).toBe(true)
    expect(pages).toBe(Math.ceil(before.size / 37))
    // Strictly newest first by (created_at, transfer_id).
    for (let i = 1; i < seen.length; i++) {
      const [newer, older] = [seen[i - 1]!, seen[i]!]
      expect(newer.created_at > older.created_at || (newer.created_at === older.created_at && newer.transfer_id > older.transfer_id)).toBe(true)
    }
  })

  it('serves each direction of a page from its own index, without sorting the history', async () => {
    const after = { createdAt: new Date(), transferId: 'ffffffff-ffff-7fff-bfff-ffffffffffff' }
    const page = new MariadbTransferRecords(service.db).pageQuery(3, 51, after).compile(service.db)
    const plan = await service.db.executeQuery<{ table: string; key: string | null; Extra: string | null }>(
      CompiledQuery.raw(`EXPLAIN ${page.sql}`, [...page.parameters]),
    )
    const branches = plan.rows.filter((row) => row.table === 'transfers')
    expect(branches.map((row) => row.key)).toEqual(['transfers_by_source', 'transfers_by_destination'])
    for (const row of branches) expect(row.Extra ?? '').not.toContain('filesort')
  })
})
