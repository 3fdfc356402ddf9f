// @ts-check
import { cannon } from '../lib/cannon.js'
import { toRow } from '../lib/report.js'
import { verify } from '../lib/transfers.js'
import { batchMeter } from '../lib/batches.js'
import { balance, JSON_HEADERS, post } from '../lib/workload.js'

/** The classic load test: 10,000 transfers of "1" from 1001 to 1002, all fighting for the same two rows. */
/** @type {import('../lib/types.js').Scenario} */
export default {
  name: 'seed',
  describe: '1001 ("50000") → 1002 ("0"), 10,000 transfers of "1"; must end at exactly 40000 / 10000',
  target: 'service',
  once: true,
  async run(ctx) {
    const [source, destination] = [1001, 1002]
    for (const [id, initial] of /** @type {const} */ ([[source, '50000'], [destination, '0']])) {
      const status = await post(ctx.base, '/v1/accounts', { account_id: id, initial_balance: initial })
      if (status !== 201) throw new Error(`seed needs fresh accounts 1001 and 1002; opening ${id} answered ${status}`)
    }
    const batches = batchMeter(ctx.metricsUrl)
    const { result, cpu } = await cannon({
      label: 'seed',
      warmup: 0,
      pids: ctx.pids,
      measured: batches,
      options: {
        url: `${ctx.base}/v1/transfers`,
        connections: ctx.connections,
        amount: 10_000,
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ source_account_id: source, destination_account_id: destination, amount: '1' }),
      },
    })
    const [after1, after2] = [await balance(ctx.base, source), await balance(ctx.base, destination)]
    const accepted = result.statusCodeStats?.['201']?.count ?? 0
    const note = verify(
      after1 === '40000' && after2 === '10000' && accepted === 10_000,
      `${accepted} accepted, balances ${after1} / ${after2} (expected 10000 accepted, 40000 / 10000)`,
    )
    return { ...toRow('seed: 10,000 × "1", 1001 → 1002', ctx.connections, result, cpu), workload: 'hot-pair', batches: batches.result(), note }
  },
}
