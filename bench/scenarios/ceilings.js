// @ts-check
// Ceiling (a): the transfer transaction with no HTTP and no Node service in between, one
// round trip per transfer (bench/ceilings/procedure.js), for the workloads the service runs.
import { runTransferCeiling } from '../ceilings/procedure.js'
import { progressLine } from '../lib/cannon.js'
import { startCpuMeter } from '../lib/cpu.js'
import { verify } from '../lib/transfers.js'
import { HOT_PAIR, randomTransfer } from '../lib/workload.js'

/**
 * @param {import('../lib/types.js').Context} ctx
 * @param {{ label: string, workload: 'uniform' | 'hot-pair', pick: () => { from: number, to: number, amount: string },
 *   check: (committed: number) => Promise<string> }} run
 * @returns {Promise<import('../lib/types.js').Row>}
 */
async function ceiling(ctx, { label, workload, pick, check }) {
  if (!ctx.databaseUrl) throw new Error('the transfer ceilings need the bench database; run without --url')
  const progress = progressLine(label)
  const result = await runTransferCeiling({
    databaseUrl: ctx.databaseUrl,
    poolSize: ctx.poolSize,
    connections: ctx.connections,
    warmupS: ctx.warmup,
    durationS: ctx.duration,
    pick,
    progress: progress.update,
    // The ceiling's client is this process: its CPU is what stands in for the service's.
    startMeter: () => startCpuMeter({ target: process.pid, mariadb: ctx.pids.mariadb }),
  }).finally(progress.end)
  const errors = Object.values(result.failures).reduce((a, b) => a + b, 0)
  const failures = JSON.stringify(result.failures) === '{}' ? '' : `; failures ${JSON.stringify(result.failures)}`
  return {
    scenario: label,
    connections: ctx.connections,
    workload,
    ceiling: true,
    requests: result.requests,
    rps: result.rps,
    p50: result.p50,
    p90: result.p90,
    p99: result.p99,
    max: result.max,
    non2xx: {},
    errors,
    cpu: result.cpu,
    note: `${await check(result.committed)}${failures}`,
  }
}

/** @type {import('../lib/types.js').Scenario} */
export const uniformCeiling = {
  name: 'ceiling-transfer',
  describe: 'ceiling (a): the uniform transfers as a stored procedure called with mysql2, one round trip each',
  target: 'none',
  run: (ctx) =>
    ceiling(ctx, {
      label: `(a) ceiling: procedure, pool ${ctx.poolSize}`,
      workload: 'uniform',
      pick: randomTransfer,
      check: async () => {
        const conserved = await ctx.ledger?.uniformConserved()
        return conserved ? verify(conserved.conserved, `the 10,000 accounts hold ${conserved.total} together`) : ''
      },
    }),
}

/** @type {import('../lib/types.js').Scenario} */
export const hotPairCeiling = {
  name: 'ceiling-hot-pair',
  describe: 'ceiling (a) on the hot pair: the same procedure, every call on the same two accounts',
  target: 'none',
  async run(ctx) {
    const read = async () => Number((await ctx.ledger?.balances([HOT_PAIR.destination]))?.get(HOT_PAIR.destination))
    const before = await read()
    return ceiling(ctx, {
      label: `(a) ceiling on the hot pair, pool ${ctx.poolSize}`,
      workload: 'hot-pair',
      pick: () => ({ from: HOT_PAIR.source, to: HOT_PAIR.destination, amount: '1' }),
      check: async (committed) => {
        const credited = (await read()) - before
        return verify(credited === committed, `${HOT_PAIR.destination} credited ${credited} for ${committed} committed calls`)
      },
    })
  },
}
