import type { ApiKey, ApiKeyRecords, StoredApiKey } from '../../../src/ports/api-keys.js'

/** The api_keys table in memory; counts its reads, so tests can see what the cache spares. */
export class InMemoryApiKeys implements ApiKeyRecords {
  private readonly keys = new Map<string, StoredApiKey>()
  reads = 0
  /** When set, reads fail with it (the database is down). */
  failure: Error | undefined

  async find(id: string): Promise<StoredApiKey | undefined> {
    this.reads++
    if (this.failure) throw this.failure
    return this.keys.get(id)
  }

  async insert(key: StoredApiKey): Promise<void> {
    if (this.keys.has(key.id)) throw new Error(`duplicate key ${key.id}`)
    this.keys.set(key.id, key)
  }

  async list(): Promise<ApiKey[]> {
    return [...this.keys.values()].map(({ id, name, grant, createdAt, revokedAt }) => ({ id, name, grant, createdAt, revokedAt }))
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const key = this.keys.get(id)
    if (!key || key.revokedAt) return false
    this.keys.set(id, { ...key, revokedAt: at })
    return true
  }
}
