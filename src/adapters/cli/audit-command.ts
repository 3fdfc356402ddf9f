import { parseArgs } from 'node:util'
import { AUDIT_CHECKS, type AuditLedger, type AuditReport } from '../../app/audit-ledger.js'

export interface AuditCommandDeps {
  /** The audit, with pages of `batchSize` rows. */
  audit(batchSize: number): AuditLedger
  out(line: string): void
  err(line: string): void
  /** Milliseconds, for the time it took. */
  now(): number
}

export const AUDIT_USAGE = `npm run audit [-- --batch N]   (or: task audit)

  Reads the database named by DATABASE_URL from one consistent snapshot, without locking, and
  checks that the books add up; compares the Redis cache (REDIS_URL) with it. Prints what it
  checked, every violation with the ids involved, and how long it took.
  Exits 0 when there is no violation, 1 when there is any, 2 on a usage error.
  --batch N   rows read per statement (default 10000, 100 to 100000)`

/** `audit`: resolves the exit code. */
export async function auditCommand(argv: readonly string[], deps: AuditCommandDeps): Promise<number> {
  let batch: string | undefined
  try {
    ;({
      values: { batch },
    } = parseArgs({ args: [...argv], options: { batch: { type: 'string' } }, strict: true }))
  } catch (error) {
    deps.err(`${(error as Error).message}\n\n${AUDIT_USAGE}`)
    return 2
  }
  const batchSize = batch === undefined ? 10_000 : Number(batch)
  if (!Number.isInteger(batchSize) || batchSize < 100 || batchSize > 100_000) {
    deps.err(`--batch must be an integer from 100 to 100000\n\n${AUDIT_USAGE}`)
    return 2
  }
  const started = deps.now()
  const report = await deps.audit(batchSize)()
  print(report, (deps.now() - started) / 1000, deps.out)
  return report.violations.length === 0 ? 0 : 1
}

function print(report: AuditReport, seconds: number, out: (line: string) => void): void {
  out(`audited ${report.accounts} accounts and ${report.transfers} transfer records from one consistent snapshot`)
  out('checked:')
  for (const [name, text] of Object.entries(AUDIT_CHECKS)) {
    const found = report.violations.filter((violation) => violation.check === name).length
    out(`  ${found === 0 ? 'ok  ' : 'FAIL'} ${name}: ${text}${found === 0 ? '' : ` (${found} violations)`}`)
  }
  if (!report.cacheChecked) out('  --   cache: not compared (REDIS_URL is empty)')
  else if (report.staleCache.length === 0) out('  ok   cache: no cached account is older than the database')
  else {
    out(`  note cache: ${report.staleCache.length} cached accounts are older than the database (the cache may lag until a refresh):`)
    for (const stale of report.staleCache) out(`       account ${stale.accountId}: cached version ${stale.cachedVersion}, database version ${stale.version}`)
  }
  for (const violation of report.violations) {
    const ids = [
      ...(violation.accountIds.length > 0 ? [`accounts ${violation.accountIds.join(', ')}`] : []),
      ...(violation.transferIds.length > 0 ? [`transfers ${violation.transferIds.join(', ')}`] : []),
    ]
    out(`violation ${violation.check}: ${violation.detail}${ids.length > 0 ? ` [${ids.join('; ')}]` : ''}`)
  }
  out(`${report.violations.length} violations; took ${seconds.toFixed(2)} s`)
}
