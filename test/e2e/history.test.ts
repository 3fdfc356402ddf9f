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
  it('lists both directions, newest first, each with its direction and the balance it left, down to the opening entry', async () => {
    await api.createAccount(10, '50')
    await api.createAccount(11, '50')
    const out = await api.transfer(10, 11, '1')
    const into = await api.transfer(11, 10, '2')
    const page = await api.get('/v1/accounts/10/transfers')
    expect(page.status).toBe(200)
    const opening = page.body.items[2]
    expect(page.body).toEqual({
      items: [
        { ...into.body, direction: 'incoming', balance_after: '51' },
        { ...out.body, direction: 'outgoing', balance_after: '49' },
        { ...opening, source_account_id: 10, destination_account_id: 10, amount: '50', status: 'opening', direction: 'incoming', balance_after: '50' },
      ],
      next_cursor: null,
    })
    expect((await api.get(`/v1/transfers/${opening.transfer_id}`)).body).toMatchObject({ status: 'opening', amount: '50' })
    // The other side sees its own balances.
    expect((await api.get('/v1/accounts/11/transfers')).body.items.map((item: any) => item.balance_after)).toEqual(['49', '51', '50'])
  })

  it('answers the balance as of an instant from the history, and 404 before the account existed', async () => {
    const before = new Date(Date.now() - 1000).toISOString()
    await api.createAccount(20, '100')
    await api.createAccount(21, '0')
    const times: string[] = []
    for (const amount of ['10', '20', '30']) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      times.push((await api.transfer(20, 21, amount)).body.created_at)
    }
    const at = (id: number, time: string) => api.get(`/v1/accounts/${id}?at=${encodeURIComponent(time)}`)
    expect(await at(20, times[0] as string)).toMatchObject({ status: 200, body: { account_id: 20, balance: '90', at: times[0] } })
    expect((await at(21, times[1] as string)).body.balance).toBe('30')
    expect((await at(20, new Date(Date.parse(times[2] as string) - 1).toISOString())).body.balance).toBe('70')
    expect((await at(20, '2999-01-01T00:00:00+02:00')).body).toEqual({ account_id: 20, balance: '40', at: '2998-12-31T22:00:00.000Z' })
    expect(await at(20, before)).toMatchObject({ status: 404, body: { code: 'ACCOUNT_NOT_FOUND' } })
    expect(await at(20, 'yesterday')).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } })
    expect(await api.get('/v1/accounts/20?since=1')).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } })
  })

  it('lists only its opening entry for an account without transfers, and 404 for an unknown one', async () => {
    expect(await api.get('/v1/accounts/4/transfers')).toMatchObject({
      status: 200,
      body: { items: [{ status: 'opening', source_account_id: 4, destination_account_id: 4, balance_after: '0' }], next_cursor: null },
    })
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
    // Exactly the 500 that existed when paging began (and the opening entry): the newer ones sort before page one.
    const opening = seen.at(-1) as { transfer_id: string; status?: string }
    expect(opening.status).toBe('opening')
    expect(ids.length).toBe(before.size + 1)
    expect(ids.filter((id) => id !== opening.transfer_id).every((id) => before.has(id))).toBe(true)
    expect(pages).toBe(Math.ceil((before.size + 1) / 37))
    // Each balance_after is the one before it plus or minus its amount, oldest first: history order is the order they were applied.
    let balance = 0
    for (const item of [...seen].reverse() as any[]) {
      balance = item.status === 'opening' ? Number(item.amount) : balance + (item.direction === 'incoming' ? 1 : -1) * Number(item.amount)
      expect(Number(item.balance_after), item.transfer_id).toBe(balance)
    }
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
