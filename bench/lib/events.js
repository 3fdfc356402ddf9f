// @ts-check
// The event relay over a measured run, from the service's Prometheus metrics: events published
// (events_published_total, before and after) and the outbox lag (events_outbox_lag),
// sampled every 250 ms for its largest value and read once more at the end.

/** @param {string | undefined} metricsUrl */
async function scrape(metricsUrl) {
  if (!metricsUrl) return undefined
  const response = await fetch(metricsUrl).catch(() => undefined)
  if (!response?.ok) return undefined
  const text = await response.text()
  const value = (/** @type {string} */ name) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)
    return match ? Number(match[1]) : undefined
  }
  return { published: value('events_published_total'), lagS: value('events_outbox_lag') }
}

/**
 * Watches the relay between start() and stop(): events per second it published, the largest lag
 * seen and the lag at the end; undefined when the service exports no such metrics (events off).
 * @param {string | undefined} metricsUrl
 */
export function eventMeter(metricsUrl) {
  /** @type {Awaited<ReturnType<typeof scrape>>} */
  let before
  let startedAt = 0
  let maxLagS = 0
  /** @type {NodeJS.Timeout | undefined} */
  let timer
  return {
    start: async () => {
      before = await scrape(metricsUrl)
      startedAt = performance.now()
      maxLagS = 0
      timer = setInterval(() => {
        void scrape(metricsUrl).then((now) => (maxLagS = Math.max(maxLagS, now?.lagS ?? 0)))
      }, 250)
    },
    /** @returns {Promise<{ perSecond: number, maxLagMs: number, endLagMs: number } | undefined>} */
    stop: async () => {
      clearInterval(timer)
      const after = await scrape(metricsUrl)
      // No lag exported: no relay ran in this service (events off).
      if (before?.published === undefined || after?.published === undefined || after.lagS === undefined) return undefined
      const seconds = (performance.now() - startedAt) / 1000
      const endLagS = after.lagS ?? 0
      return {
        perSecond: Math.round((after.published - before.published) / seconds),
        maxLagMs: Math.round(Math.max(maxLagS, endLagS) * 10_000) / 10,
        endLagMs: Math.round(endLagS * 10_000) / 10,
      }
    },
  }
}
