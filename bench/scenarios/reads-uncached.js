// @ts-check
import { ensureAccounts } from '../lib/workload.js'
import { reads } from './reads.js'

/** @type {import('../lib/types.js').Scenario} */
export default {
  name: 'reads-uncached',
  describe: 'the same reads against a second service started with REDIS_URL= (no cache)',
  target: 'uncached',
  async run(ctx) {
    await ensureAccounts(ctx.base)
    const row = await reads(ctx, 'reads with REDIS_URL= (cache off)')
    return { ...row, workload: undefined }
  },
}
