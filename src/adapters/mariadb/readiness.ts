import { type Kysely, sql } from 'kysely'
import type { Readiness } from '../../ports/readiness.js'
import type { Database } from './tables.js'

/**
 * Ready when a trivial statement completes within `withinMs`: a probe that gets no answer in time
 * is not ready, and a late answer (a frozen server resuming) never turns it into a ready one. `db`
 * should be a small pool of its own, bounded like the probe, so that probes of a server that does
 * not answer neither queue behind requests nor pile up.
 */
export class MariadbReadiness implements Readiness {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly withinMs: number,
  ) {}

  async isReady(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.withinMs)
    })
    const answered = sql`SELECT 1`.execute(this.db).then(
      () => true,
      () => false,
    )
    try {
      return await Promise.race([answered, late])
    } finally {
      clearTimeout(timer)
    }
  }
}
