import type { Kysely } from 'kysely'
import { type Migration, Migrator } from 'kysely/migration'
import * as accountsAndTransfers from './migrations/0001-accounts-and-transfers.js'
import * as idempotencyKeys from './migrations/0002-idempotency-keys.js'
import * as transferIfUnchanged from './migrations/0003-transfer-if-unchanged.js'
import * as dropTransferIfUnchanged from './migrations/0004-drop-transfer-if-unchanged.js'
import * as apiKeys from './migrations/0005-api-keys.js'
import * as pendingTransfers from './migrations/0006-pending-transfers.js'
import * as outbox from './migrations/0007-outbox.js'
import * as backfillBalanceHistory from './migrations/0008-backfill-balance-history.js'
import * as outboxRowPerTransaction from './migrations/0009-outbox-row-per-transaction.js'

/** Listed here rather than read from disk, so the same code runs from src and from dist. */
const migrations: Record<string, Migration> = {
  '0001-accounts-and-transfers': accountsAndTransfers,
  '0002-idempotency-keys': idempotencyKeys,
  '0003-transfer-if-unchanged': transferIfUnchanged,
  '0004-drop-transfer-if-unchanged': dropTransferIfUnchanged,
  '0005-api-keys': apiKeys,
  '0006-pending-transfers': pendingTransfers,
  '0007-outbox': outbox,
  '0008-backfill-balance-history': backfillBalanceHistory,
  '0009-outbox-row-per-transaction': outboxRowPerTransaction,
}

/**
 * Applies every pending migration. kysely's lock (MariaDB's GET_LOCK) keeps concurrent starts on
 * one server from racing, but a Galera cluster does not share it between nodes: two instances
 * starting on two nodes may run the same migration at once. DDL is replicated in total order,
 * so the second fails on the first statement the other already ran (the table exists, the
 * migration is recorded), before it changed anything; it then waits and looks again, until the
 * other instance has finished and nothing is pending.
 * Takes Kysely<any> because migrations are written against the schema of their day, not today's types.
 */
export async function migrateToLatest(db: Kysely<any>, patienceMs = 30_000): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const deadline = Date.now() + patienceMs
  const applied: string[] = []
  for (;;) {
    const { error, results } = await migrator.migrateToLatest()
    applied.push(...(results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName))
    if (!error) return applied
    if (!lostRace(error) || Date.now() > deadline) throw error
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400))
  }
}

/** What a migration that another node ran first fails with: its object exists, its row is written, or its write-set lost. */
const RACE_ERRNOS = new Set([
  1050, // ER_TABLE_EXISTS_ERROR
  1060, // ER_DUP_FIELDNAME (a column added)
  1061, // ER_DUP_KEYNAME
  1062, // ER_DUP_ENTRY (kysely_migration)
  1213, // ER_LOCK_DEADLOCK (a certification conflict)
  1304, // ER_SP_ALREADY_EXISTS
  1826, // ER_FK_DUP_NAME
])

function lostRace(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno
  return typeof errno === 'number' && RACE_ERRNOS.has(errno)
}
