// @ts-check
import { accounted, timedTransfers, verify } from '../lib/transfers.js'
import { balance, HOT_PAIR, open } from '../lib/workload.js'

/** Every request moves "1" between the same two accounts: the worst case for row locks. */
/** @type {import('../lib/types.js').Scenario} */
export default {
  name: 'hot-pair',
  describe: `transfers of "1" from ${HOT_PAIR.source} to ${HOT_PAIR.destination} for --duration; balances checked afterwards`,
  target: 'service',
  async run(ctx) {
    await open(ctx.base, [[HOT_PAIR.source, HOT_PAIR.balance], [HOT_PAIR.destination, '0']])
    // From MariaDB when the harness has it: ceiling (a) moves this pair's money behind the cache.
    const read = async () =>
      Number(ctx.ledger ? (await ctx.ledger.balances([HOT_PAIR.destination])).get(HOT_PAIR.destination) : await balance(ctx.base, HOT_PAIR.destination))
    const before = await read()
    const body = JSON.stringify({ source_account_id: HOT_PAIR.source, destination_account_id: HOT_PAIR.destination, amount: '1' })
    return timedTransfers(ctx, {
      label: `hot pair ${HOT_PAIR.source} → ${HOT_PAIR.destination}`,
      workload: 'hot-pair',
      body: () => body,
      check: async (accepted, unanswered) => {
        // Amounts of "1" sum to integers far below 2^53: exact as numbers.
        const credited = (await read()) - before
        return verify(
          accounted(credited, accepted, unanswered),
          `${HOT_PAIR.destination} credited ${credited} for ${accepted} transfers of "1" answered 201 (+ ≤ ${unanswered} unanswered)`,
        )
      },
    })
  },
}
