import { beforeEach, describe, expect, it } from 'vitest'
import { apiKeySecrets } from '../../src/adapters/system/api-key-secrets.js'
import { authenticator } from '../../src/app/authenticate.js'
import { createApiKey } from '../../src/app/create-api-key.js'
import { revokeApiKey } from '../../src/app/revoke-api-key.js'
import { FULL_GRANT } from '../../src/domain/access.js'
import type { ApiKeySecrets } from '../../src/ports/api-keys.js'
import { StoreUnavailable } from '../../src/ports/errors.js'
import { InMemoryApiKeys } from './fakes/in-memory-api-keys.js'

let now = 0
const clock = { now: () => new Date(now) }
let records: InMemoryApiKeys
/** The real secrets, counting the constant-time comparisons and the digests made. */
let compared: { a: { length: number }; b: { length: number } }[]
let digests: number
const secrets: ApiKeySecrets = {
  ...apiKeySecrets,
  digest: (text) => {
    digests++
    return apiKeySecrets.digest(text)
  },
  same: (a, b) => {
    compared.push({ a, b })
    return apiKeySecrets.same(a, b)
  },
  sameText: (a, b) => {
    compared.push({ a, b })
    return apiKeySecrets.sameText(a, b)
  },
}
/** A promise and its resolve (Promise.withResolvers is past this project's ES2023 lib). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((done) => (resolve = done))
  return { promise, resolve }
}
const create = () => createApiKey({ records, secrets: apiKeySecrets, clock })({ name: 'test', grant: FULL_GRANT })

beforeEach(() => {
  now = 1_000_000
  records = new InMemoryApiKeys()
  compared = []
  digests = 0
})

describe('API key texts', () => {
  it('carry a public id and 256 random bits, and are stored as their SHA-256 only', async () => {
    const { key, text } = await create()
    expect(text).toMatch(new RegExp(`^itk_${key.id}_[A-Za-z0-9_-]{43}$`))
    expect(Buffer.from(text.slice(17), 'base64url')).toHaveLength(32)
    expect(apiKeySecrets.sameText(text, text)).toBe(true)
    expect(apiKeySecrets.sameText(text, `${text.slice(0, -1)}!`)).toBe(false)
    expect(apiKeySecrets.sameText(text, `!${text.slice(1)}`)).toBe(false)
    expect(apiKeySecrets.sameText(text, text.slice(1))).toBe(false)
    const stored = await records.find(key.id)
    expect(Buffer.from(stored?.digest ?? []).toString('hex')).toBe((await import('node:crypto')).createHash('sha256').update(text).digest('hex'))
    expect(JSON.stringify(await records.list())).not.toContain(text.slice(17))
  })

  it('are refused by format before any lookup when they are not keys', async () => {
    const authenticate = authenticator({ records, secrets, clock, lifetimeMs: 500 })
    for (const text of ['', 'itk_', 'Bearer x', `itk_${'a'.repeat(12)}_${'A'.repeat(42)}`, `itk_${'A'.repeat(12)}_${'A'.repeat(43)}`]) {
      expect(await authenticate(text), text).toBeUndefined()
    }
    expect(records.reads).toBe(0)
  })
})

describe('authenticate', () => {
  it('admits the key, and refuses a wrong secret and an unknown id through the same constant-time comparison', async () => {
    const { key, text } = await create()
    const authenticate = authenticator({ records, secrets, clock, lifetimeMs: 500 })
    expect(await authenticate(text)).toEqual({ keyId: key.id, grant: FULL_GRANT })

    // The same id, the secret wrong in its last character only: hashed and compared in full.
    const wrong = text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'A')
    compared = []
    expect(await authenticate(wrong)).toBeUndefined()
    expect(compared.map(({ a, b }) => [a.length, b.length])).toEqual([
      [60, 60], // against the text proven before: differs
      [32, 32], // its digest against the stored one
    ])

    // An id nobody has: its digest is compared with a decoy of the same length.
    compared = []
    expect(await authenticate(`itk_${'b'.repeat(12)}_${'A'.repeat(43)}`)).toBeUndefined()
    expect(compared.map(({ a, b }) => [a.length, b.length])).toEqual([[32, 32]])
  })

  it('hashes a key once, then compares its bytes while the lookup lives', async () => {
    const { text } = await create()
    const authenticate = authenticator({ records, secrets, clock, lifetimeMs: 500 })
    for (let i = 0; i < 5; i++) expect(await authenticate(text)).toBeDefined()
    expect(digests).toBe(1)
    expect(records.reads).toBe(1)
  })

  it('refuses a revoked key once the lookup that knew it as valid has expired, and reads ahead before', async () => {
    const { key, text } = await create()
    const authenticate = authenticator({ records, secrets, clock, lifetimeMs: 500 })
    expect(await authenticate(text)).toBeDefined()
    await revokeApiKey({ records, clock })(key.id)
    now += 249
    expect(await authenticate(text)).toBeDefined() // fresh: not read again
    expect(records.reads).toBe(1)
    now += 1 // half its life: answered from it, and read again in the background
    expect(await authenticate(text)).toBeDefined()
    await Promise.resolve()
    expect(records.reads).toBe(2)
    expect(await authenticate(text)).toBeUndefined()
  })

  it('never trusts a lookup past its lifetime, counted from when the read was sent', async () => {
    const { key, text } = await create()
    let gate = deferred()
    const slow = Object.assign(Object.create(records) as InMemoryApiKeys, {
      find: async (id: string) => {
        const found = await records.find(id)
        await gate.promise
        return found
      },
    })
    const authenticate = authenticator({ records: slow, secrets, clock, lifetimeMs: 500 })
    const first = authenticate(text)
    now += 600 // the read took longer than the lifetime
    gate.resolve()
    expect(await first).toEqual({ keyId: key.id, grant: FULL_GRANT })
    await revokeApiKey({ records, clock })(key.id)
    gate = deferred()
    const second = authenticate(text) // expired already: read again
    gate.resolve()
    expect(await second).toBeUndefined()
  })

  it('shares one read between concurrent requests, and fails unavailable rather than letting a key in unverified', async () => {
    const { text } = await create()
    const authenticate = authenticator({ records, secrets, clock, lifetimeMs: 500 })
    await Promise.all(Array.from({ length: 10 }, () => authenticate(text)))
    expect(records.reads).toBe(1)
    records.failure = new StoreUnavailable('down')
    now += 300
    expect(await authenticate(text)).toBeDefined() // still fresh; the background read failed
    now += 300
    await expect(authenticate(text)).rejects.toBeInstanceOf(StoreUnavailable)
  })

  it('forgets the oldest lookups beyond its bound', async () => {
    const authenticate = authenticator({ records, secrets, clock, lifetimeMs: 500, maxEntries: 3 })
    for (const letter of 'abcd') await authenticate(`itk_${letter.repeat(12)}_${'A'.repeat(43)}`)
    expect(records.reads).toBe(4)
    await authenticate(`itk_${'d'.repeat(12)}_${'A'.repeat(43)}`)
    expect(records.reads).toBe(4)
    await authenticate(`itk_${'a'.repeat(12)}_${'A'.repeat(43)}`)
    expect(records.reads).toBe(5)
  })
})
