import { type Kysely, sql } from 'kysely'
import type { Readiness } from '../../ports/readiness.js'
import type { Database } from './tables.js'

/** Ready when a trivial statement completes; the pool's own bounds keep the probe short. */
export class MariadbReadiness implements Readiness {
  constructor(private readonly db: Kysely<Database>) {}

  async isReady(): Promise<boolean> {
    try {
      await sql`SELECT 1`.execute(this.db)
      return true
    } catch {
      return false
    }
  }
}
