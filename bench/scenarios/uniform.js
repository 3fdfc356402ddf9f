// @ts-check
import { accounted, timedTransfers, verify } from '../lib/transfers.js'
import { ensureAccounts, transferBody } from '../lib/workload.js'

/** @type {import('../lib/types.js').Scenario} */
export default {
  name: 'uniform',
  describe: 'random transfers among 10,000 accounts, a distinct body each; ledger checked afterwards',
  target: 'service',
  async run(ctx) {
    await ensureAccounts(ctx.base)
    const before = await ctx.ledger?.transfers()
    return timedTransfers(ctx, {
      label: 'uniform transfers, 10,000 accounts',
      workload: 'uniform',
      body: transferBody,
      check: async (accepted, unanswered) => {
        if (!ctx.ledger || before === undefined) return 'ledger not checked (--url)'
        const made = (await ctx.ledger.transfers()) - before
        const { total, conserved } = await ctx.ledger.uniformConserved()
        return verify(
          accounted(made, accepted, unanswered) && conserved,
          `${made} transfer rows for ${accepted} answered 201 (+ ≤ ${unanswered} unanswered at the stops); the 10,000 accounts hold ${total}${conserved ? ', as opened' : ''}`,
        )
      },
    })
  },
}
