import { describe, expect, it } from 'vitest'
import { type DurabilitySettings, durabilityFindings } from '../../src/adapters/mariadb/durability.js'

const safe: DurabilitySettings = { flushLogAtTrxCommit: 1, logBin: false, syncBinlog: 0, galera: false, sessionSqlMode: 'STRICT_ALL_TABLES,NO_ZERO_DATE' }

describe('durabilityFindings', () => {
  it('finds nothing on a server that flushes at each commit, with strict sessions', () => {
    expect(durabilityFindings(safe)).toEqual([])
    expect(durabilityFindings({ ...safe, logBin: true, syncBinlog: 1 })).toEqual([])
  })

  it.each([0, 2])('refuses innodb_flush_log_at_trx_commit=%i on a single server', (flush) => {
    expect(durabilityFindings({ ...safe, flushLogAtTrxCommit: flush })).toEqual([
      { severity: 'refuse', message: expect.stringContaining(`innodb_flush_log_at_trx_commit=${flush}`) },
    ])
  })

  it('only warns of =2 on a Galera node, but refuses 0 there too', () => {
    expect(durabilityFindings({ ...safe, galera: true, flushLogAtTrxCommit: 2 })).toMatchObject([{ severity: 'warn' }])
    expect(durabilityFindings({ ...safe, galera: true, flushLogAtTrxCommit: 0 })).toMatchObject([{ severity: 'refuse' }])
  })

  it('refuses an unsynced binary log, and sessions that are not strict', () => {
    expect(durabilityFindings({ ...safe, logBin: true, syncBinlog: 0 })).toMatchObject([{ severity: 'refuse', message: expect.stringContaining('sync_binlog=0') }])
    expect(durabilityFindings({ ...safe, sessionSqlMode: 'NO_ENGINE_SUBSTITUTION' })).toMatchObject([{ severity: 'refuse', message: expect.stringContaining('strict') }])
  })
})
