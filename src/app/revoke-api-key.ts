import type { ApiKeyRecords } from '../ports/api-keys.js'
import type { Clock } from '../ports/clock.js'

export type RevokeApiKey = (id: string) => Promise<boolean>

/**
 * Revokes the key for good; false when there is no such key or it was revoked already. Every
 * instance refuses it once its lookup of the key expires (see authenticate.ts).
 */
export function revokeApiKey(deps: { records: ApiKeyRecords; clock: Clock }): RevokeApiKey {
  return (id) => deps.records.revoke(id, deps.clock.now())
}
