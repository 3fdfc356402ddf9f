// @ts-check
// The load harness's options: parsed once, validated, with the help text built from the same table.
import { parseArgs } from 'node:util'

/** Scenario names, in the order a run takes them (ceilings after what they are compared with). */
export const SCENARIO_ORDER = [
  'seed',
  'uniform',
  'ceiling-transfer',
  'hot-pair',
  'ceiling-hot-pair',
  'reads',
  'reads-uncached',
  'ceiling-read',
  'mix',
]

/** Tracing settings a run can compare; each starts services of its own. */
export const TRACING = {
  default: {},
  always: { OTEL_TRACES_SAMPLER: 'always_on' },
  ratio: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  unsampled: { OTEL_TRACES_SAMPLER: 'parentbased_always_off' },
  off: { OTEL_SDK_DISABLED: 'true' },
}

/**
 * Access control settings a run can compare; each starts services of its own. `on` sends an API
 * key (made by the harness with the keys command) and limits each key, at a rate far above what
 * the load reaches: the cost of checking is measured, not the effect of refusing.
 */
export const AUTH = {
  on: { AUTH: 'on', RATE_LIMIT_PER_KEY: '1000000/s' },
  off: { AUTH: 'off', RATE_LIMIT_PER_KEY: 'off', RATE_LIMIT_PER_ADDRESS: 'off' },
}

/**
 * Events a run can compare; each starts services of its own. `on` publishes to the machine's NATS
 * (BENCH_NATS_URL, default nats://127.0.0.1:4222) into a stream of the run's own, removed after.
 */
export const EVENTS = {
  on: { NATS_URL: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222' },
  off: { NATS_URL: '' },
}

/** Metrics settings a run can compare; each starts services of its own. */
export const METRICS = {
  on: {},
  off: { OTEL_METRICS_EXPORTER: 'none' },
}

const OPTIONS = {
  scenarios: { default: SCENARIO_ORDER.join(','), help: 'comma-separated, run in the order above' },
  duration: { default: '10', help: 'seconds each timed scenario is measured' },
  warmup: { default: '3', help: 'seconds of the same load, unmeasured, before each timed scenario' },
  connections: { default: '64', help: 'concurrent connections; a list (1,64) runs every scenario at each' },
  'batch-sizes': { default: '', help: 'BATCH_MAX_SIZE values (8,32,…), one service each; empty: the service default' },
  tracing: { default: 'default', help: `a list of ${Object.keys(TRACING).join(', ')}; one service each` },
  auth: { default: 'on', help: 'a list of on (API key, rate limits), off (AUTH=off, no limits); one service each' },
  events: { default: 'on', help: 'a list of on (outbox + relay to NATS JetStream), off (NATS_URL=, no outbox rows); one service each' },
  metrics: { default: 'on', help: `a list of ${Object.keys(METRICS).join(', ')} (OTEL_METRICS_EXPORTER=none); one service each` },
  url: { default: '', help: 'a running service to load instead (only the service scenarios; no ledger checks in MariaDB)' },
  keep: { default: false, help: 'keep the bench database and Redis keys afterwards (dropped by default)' },
  help: { default: false, help: 'print this and exit' },
}

/** The text of --help, from the same table the parser reads. @param {Record<string, string>} descriptions */
export function helpText(descriptions) {
  const lines = [
    'npm run load [-- options]   (or: node bench/load.js [options], after npm run build)',
    '',
    'Scenarios:',
    ...SCENARIO_ORDER.map((name) => `  ${name.padEnd(18)} ${descriptions[name] ?? ''}`),
    '',
    'Options:',
    ...Object.entries(OPTIONS).map(([name, { default: value, help }]) => {
      const shown = typeof value === 'boolean' ? '' : ` (default: ${value === '' ? 'none' : name === 'scenarios' ? 'all' : value})`
      return `  --${name.padEnd(16)} ${help}${shown}`
    }),
    '',
    'Environment: BENCH_DATABASE_URL (default mysql://root@127.0.0.1:3306/transfers_bench, dropped first),',
    'DB_POOL_SIZE (the service and ceiling (a) both use it), the service\'s own variables, OTEL_*;',
    'with --url, BENCH_API_KEY: the key to send (auth on).',
  ]
  return lines.join('\n')
}

/** A list of positive integers, or an error naming the option. @param {string} name @param {string} text */
function integers(name, text, { min = 1, max = 100_000 } = {}) {
  const values = text.split(',').filter(Boolean)
  for (const value of values) {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new Error(`--${name} must be integers from ${min} to ${max}, separated by commas; got "${text}"`)
    }
  }
  return values.map(Number)
}

/**
 * Parses and validates the command line. Throws one error naming the first bad option.
 * @param {string[]} argv
 * @param {string[]} scenarioNames the scenarios that exist
 */
export function parseOptions(argv, scenarioNames) {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      Object.entries(OPTIONS).map(([name, { default: value }]) => [name, typeof value === 'boolean' ? { type: 'boolean', default: value } : { type: 'string', default: value }]),
    ),
    strict: true,
  })
  const text = (/** @type {string} */ name) => String(values[name])
  if (values.help) return { help: true }
  const scenarios = text('scenarios').split(',').filter(Boolean)
  const unknown = scenarios.filter((name) => !scenarioNames.includes(name))
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${scenarioNames.join(', ')}`)
  if (scenarios.length === 0) throw new Error('--scenarios names no scenario')
  const tracings = text('tracing').split(',').filter(Boolean)
  const badTracing = tracings.filter((name) => !(name in TRACING))
  if (badTracing.length > 0 || tracings.length === 0) throw new Error(`--tracing takes ${Object.keys(TRACING).join(', ')}; got "${text('tracing')}"`)
  const auths = text('auth').split(',').filter(Boolean)
  if (auths.length === 0 || auths.some((name) => !(name in AUTH))) throw new Error(`--auth takes ${Object.keys(AUTH).join(', ')}; got "${text('auth')}"`)
  const events = text('events').split(',').filter(Boolean)
  if (events.length === 0 || events.some((name) => !(name in EVENTS))) throw new Error(`--events takes ${Object.keys(EVENTS).join(', ')}; got "${text('events')}"`)
  const metrics = text('metrics').split(',').filter(Boolean)
  if (metrics.length === 0 || metrics.some((name) => !(name in METRICS))) throw new Error(`--metrics takes ${Object.keys(METRICS).join(', ')}; got "${text('metrics')}"`)
  const [duration] = integers('duration', text('duration'), { max: 3600 })
  const warmups = integers('warmup', text('warmup'), { min: 0, max: 600 })
  if (duration === undefined || warmups.length !== 1 || text('duration').includes(',')) throw new Error('--duration and --warmup take one number each')
  const connections = integers('connections', text('connections'), { max: 1000 })
  if (connections.length === 0) throw new Error('--connections names no count')
  const batchSizes = integers('batch-sizes', text('batch-sizes'), { max: 1000 })
  const url = text('url')
  if (url !== '' && !URL.canParse(url)) throw new Error(`--url must be a URL such as http://127.0.0.1:9999; got "${url}"`)
  return {
    help: false,
    scenarios: SCENARIO_ORDER.filter((name) => scenarios.includes(name)),
    duration,
    warmup: warmups[0] ?? 0,
    connections,
    /** undefined: the service's own default. */
    batchSizes: batchSizes.length > 0 ? batchSizes : [undefined],
    tracings,
    auths,
    events,
    metrics,
    url: url === '' ? undefined : url,
    keep: Boolean(values.keep),
  }
}
