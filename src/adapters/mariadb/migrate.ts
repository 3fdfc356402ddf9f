import type { Kysely } from 'kysely'
import { type Migration, Migrator } from 'kysely/migration'
import * as accountsAndTransfers from './migrations/0001-accounts-and-transfers.js'
import * as idempotencyKeys from './migrations/0002-idempotency-keys.js'
import * as transferIfUnchanged from './migrations/0003-transfer-if-unchanged.js'
import * as dropTransferIfUnchanged from './migrations/0004-drop-transfer-if-unchanged.js'

/** Listed here rather than read from disk, so the same code runs from src and from dist. */
const migrations: Record<string, Migration> = {
  '0001-accounts-and-transfers': accountsAndTransfers,
  '0002-idempotency-keys': idempotencyKeys,
  '0003-transfer-if-unchanged': transferIfUnchanged,
  '0004-drop-transfer-if-unchanged': dropTransferIfUnchanged,
}

/**
 * Applies every pending migration; kysely's lock table keeps concurrent starts from racing.
 * Takes Kysely<any> because migrations are written against the schema of their day, not today's types.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}
