// @ts-check
// The service's write batches over a measured run, from its Prometheus histogram
// ledger_batch_size: scraped before and after, the difference is the run's batches.

/** @param {string} text @returns {{ buckets: Map<string, number>, sum: number, count: number }} */
function parse(text) {
  const buckets = new Map()
  let sum = 0
  let count = 0
  for (const line of text.split('\n')) {
    const bucket = /^ledger_batch_size_bucket\{.*le="([^"]+)".*\} (\S+)/.exec(line)
    if (bucket?.[1]) buckets.set(bucket[1], (buckets.get(bucket[1]) ?? 0) + Number(bucket[2]))
    const total = /^ledger_batch_size_(sum|count)(?:\{.*\})? (\S+)/.exec(line)
    if (total?.[1] === 'sum') sum += Number(total[2])
    if (total?.[1] === 'count') count += Number(total[2])
  }
  return { buckets, sum, count }
}

/** Scrapes `metricsUrl`; undefined when it does not answer (tracing off, another service). @param {string | undefined} metricsUrl */
async function scrape(metricsUrl) {
  if (!metricsUrl) return undefined
  const response = await fetch(metricsUrl).catch(() => undefined)
  return response?.ok ? parse(await response.text()) : undefined
}

/**
 * Counts the batches written between start() and stop(): how many, mean size, and the bucket
 * bounds under which half and 99 % of them fall ("≤ 16").
 * @param {string | undefined} metricsUrl
 */
export function batchMeter(metricsUrl) {
  /** @type {Awaited<ReturnType<typeof scrape>>} */
  let before
  /** @type {{ batches: number, mean: number, p50: string, p99: string } | undefined} */
  let seen
  return {
    before: async () => {
      before = await scrape(metricsUrl)
    },
    after: async () => {
      const after = await scrape(metricsUrl)
      if (!before || !after) return
      const count = after.count - before.count
      if (count <= 0) return
      const bounds = [...after.buckets.keys()].sort((a, b) => Number(a) - Number(b))
      const under = (/** @type {number} */ share) =>
        bounds.find((bound) => (after.buckets.get(bound) ?? 0) - (before?.buckets.get(bound) ?? 0) >= share * count) ?? '+Inf'
      seen = { batches: count, mean: Math.round(((after.sum - before.sum) / count) * 10) / 10, p50: under(0.5), p99: under(0.99) }
    },
    result: () => seen,
  }
}
