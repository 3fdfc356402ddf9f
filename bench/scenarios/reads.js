// @ts-check
import { cannon } from '../lib/cannon.js'
import { toRow } from '../lib/report.js'
import { AUTH_HEADERS, ensureAccounts, randomAccount } from '../lib/workload.js'

/** GETs of random accounts for --duration. @param {import('../lib/types.js').Context} ctx @param {string} label */
export async function reads(ctx, label) {
  const { result, cpu } = await cannon({
    label,
    warmup: ctx.warmup,
    pids: ctx.pids,
    options: {
      url: ctx.base,
      connections: ctx.connections,
      duration: ctx.duration,
      headers: AUTH_HEADERS,
      requests: [{ setupRequest: (request) => ({ ...request, method: 'GET', path: `/v1/accounts/${randomAccount()}` }) }],
    },
  })
  return { ...toRow(label, ctx.connections, result, cpu), workload: /** @type {const} */ ('read') }
}

/** @type {import('../lib/types.js').Scenario} */
export default {
  name: 'reads',
  describe: 'cache-hit reads of random accounts among the 10,000',
  target: 'service',
  async run(ctx) {
    await ensureAccounts(ctx.base)
    return reads(ctx, 'cache-hit reads, 10,000 accounts')
  },
}
