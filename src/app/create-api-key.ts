import type { Grant } from '../domain/access.js'
import type { ApiKey, ApiKeyRecords, ApiKeySecrets } from '../ports/api-keys.js'
import type { Clock } from '../ports/clock.js'

export type CreateApiKey = (input: { name: string; grant: Grant }) => Promise<{ key: ApiKey; text: string }>

/**
 * Issues a key with `grant` and stores its digest. Returns the key's text, which exists nowhere
 * else: the caller shows it once. Ids are random; the rare one already taken is issued again.
 */
export function createApiKey(deps: { records: ApiKeyRecords; secrets: ApiKeySecrets; clock: Clock }): CreateApiKey {
  return async ({ name, grant }) => {
    for (let attempt = 1; ; attempt++) {
      const { id, text, digest } = deps.secrets.issue()
      const key = { id, name, grant, createdAt: deps.clock.now(), revokedAt: undefined }
      try {
        await deps.records.insert({ ...key, digest })
        return { key, text }
      } catch (error) {
        if (attempt >= 3 || (await deps.records.find(id)) === undefined) throw error
      }
    }
  }
}
