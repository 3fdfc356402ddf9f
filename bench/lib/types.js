// @ts-check
// The shapes the runner and the scenarios share (JSDoc only).

/**
 * @typedef {object} Context
 * @property {string} base the target's URL ('' for a ceiling that needs none)
 * @property {string | undefined} databaseUrl the bench database (undefined with --url)
 * @property {import('./ledger.js').Ledger | undefined} ledger reads of the bench database, for checks
 * @property {{ target: number | undefined, mariadb: number | undefined }} pids whose CPU time is counted
 * @property {string | undefined} metricsUrl the target's Prometheus endpoint, for batch sizes
 * @property {number} connections
 * @property {number} duration
 * @property {number} warmup
 * @property {number} poolSize the service's DB_POOL_SIZE, which ceiling (a) uses too
 */

/**
 * @typedef {object} Row
 * @property {string} scenario
 * @property {number} connections
 * @property {'uniform' | 'hot-pair' | 'read' | undefined} [workload] what a ratio compares it with
 * @property {boolean} [ceiling]
 * @property {number | undefined} [batchSize] BATCH_MAX_SIZE of the service (undefined: its default)
 * @property {string | undefined} [tracing]
 * @property {string | undefined} [auth] on or off (only when a run compares them)
 * @property {string | undefined} [events] on or off (only when a run compares them)
 * @property {string | undefined} [metrics] on or off (only when a run compares them)
 * @property {number} requests
 * @property {number} rps
 * @property {number | undefined} [ratio] req/s over the ceiling's for the same workload and connections
 * @property {number} p50
 * @property {number} p90
 * @property {number} p99
 * @property {number} max
 * @property {Record<string, number>} non2xx
 * @property {number} errors
 * @property {number | undefined} [peakRssMb]
 * @property {Record<string, number | undefined>} [cpu] CPU µs per request, by process
 * @property {{ batches: number, mean: number, p50: string, p99: string } | undefined} [batches]
 * @property {string} [note]
 */

/**
 * @typedef {object} Scenario
 * @property {string} name
 * @property {string} describe one line for --help
 * @property {'service' | 'uncached' | 'ceiling-read' | 'none'} target what it runs against
 * @property {boolean} [once] run once per run, not per connection count, batch size or tracing
 * @property {(ctx: Context) => Promise<Row>} run
 */

export {}
