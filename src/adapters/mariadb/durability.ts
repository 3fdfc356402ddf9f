import { type Kysely, sql } from 'kysely'
import type { Database } from './tables.js'

/** The server settings that decide whether an acknowledged COMMIT survives a crash. */
export interface DurabilitySettings {
  flushLogAtTrxCommit: number
  logBin: boolean
  syncBinlog: number
  /** A Galera node: a commit is on the other nodes before it is acknowledged. */
  galera: boolean
  /** The sql_mode of the service's own sessions (set by it as each connection is made). */
  sessionSqlMode: string
}

export interface DurabilityFinding {
  /** `refuse`: acknowledged commits can be lost when the server crashes; `warn`: only when every node loses power. */
  severity: 'refuse' | 'warn'
  message: string
}

/**
 * What is unsafe in `settings` for a ledger. A single server must write and flush its redo log at
 * each COMMIT (innodb_flush_log_at_trx_commit=1) and, with the binary log on, sync it too
 * (sync_binlog=1): otherwise a crash loses commits the service already answered 201 for. On a
 * Galera cluster the commit is on every node before it is acknowledged, so flushing once a
 * second (=2, the usual Galera setting) loses something only if every node fails at once: a
 * warning. Sessions that are not strict would let a value be truncated instead of refused.
 */
export function durabilityFindings(settings: DurabilitySettings): DurabilityFinding[] {
  const findings: DurabilityFinding[] = []
  const flush = settings.flushLogAtTrxCommit
  if (flush !== 1) {
    const onCluster = settings.galera && flush === 2
    findings.push({
      severity: onCluster ? 'warn' : 'refuse',
      message: onCluster
        ? 'innodb_flush_log_at_trx_commit=2 on a Galera node: commits acknowledged in the last second are lost only if every node fails at once'
        : `innodb_flush_log_at_trx_commit=${flush}: commits acknowledged in the last second are lost when the server crashes; set it to 1`,
    })
  }
  if (settings.logBin && settings.syncBinlog !== 1) {
    findings.push({
      severity: settings.galera ? 'warn' : 'refuse',
      message: `sync_binlog=${settings.syncBinlog} with the binary log on: a crash can lose acknowledged commits from the binary log (and replicas); set it to 1`,
    })
  }
  if (!/STRICT_(ALL|TRANS)_TABLES/.test(settings.sessionSqlMode)) {
    findings.push({ severity: 'refuse', message: `the service's sessions run without a strict sql_mode ("${settings.sessionSqlMode}"): values could be truncated instead of refused` })
  }
  return findings
}

/** Reads the settings through `db` (one of the service's pools, so the session's sql_mode is the service's). */
export async function readDurability(db: Kysely<Database>): Promise<DurabilitySettings> {
  const { rows } = await sql<{ flush: unknown; log_bin: unknown; sync_binlog: unknown; wsrep: unknown; mode: unknown }>`
    SELECT @@GLOBAL.innodb_flush_log_at_trx_commit AS flush, @@GLOBAL.log_bin AS log_bin, @@GLOBAL.sync_binlog AS sync_binlog,
           @@GLOBAL.wsrep_on AS wsrep, @@SESSION.sql_mode AS mode`.execute(db)
  const row = rows[0]
  return {
    flushLogAtTrxCommit: Number(row?.flush),
    logBin: Number(row?.log_bin) === 1,
    syncBinlog: Number(row?.sync_binlog),
    galera: Number(row?.wsrep) === 1,
    sessionSqlMode: String(row?.mode ?? ''),
  }
}
