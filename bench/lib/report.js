// @ts-check
// Rows of a run: printed as a table that fits 120 columns, saved as JSON and Markdown under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs'

/**
 * @param {string} scenario @param {number} connections
 * @param {import('autocannon').Result} result
 * @param {Record<string, number | undefined>} [cpu] CPU µs per request, by process
 * @returns {import('./types.js').Row}
 */
export function toRow(scenario, connections, result, cpu) {
  /** @type {Record<string, number>} */
  const non2xx = {}
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    if (!status.startsWith('2')) non2xx[status] = /** @type {{count: number}} */ (stats).count
  }
  return {
    scenario,
    connections,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx,
    errors: result.errors + result.timeouts,
    cpu,
  }
}

/** Each transfer row's req/s over its ceiling's (same workload, same connections, same run). @param {import('./types.js').Row[]} rows */
export function addRatios(rows) {
  for (const row of rows) {
    if (row.ceiling || !row.workload) continue
    const ceiling = rows.find((other) => other.ceiling && other.workload === row.workload && other.connections === row.connections)
    if (ceiling && ceiling.rps > 0) row.ratio = Math.round((row.rps / ceiling.rps) * 100) / 100
  }
}

/** @param {import('./types.js').Row} row */
const variant = (row) =>
  [row.batchSize === undefined ? '' : `batch ${row.batchSize}`, row.tracing ? `tracing ${row.tracing}` : '', row.auth ? `auth ${row.auth}` : '', row.metrics ? `metrics ${row.metrics}` : '', row.events ? `events ${row.events}` : '']
    .filter(Boolean)
    .join(', ')
/** @param {import('./types.js').Row} row */
const failures = (row) => Object.entries(row.non2xx).map(([status, n]) => `${status}:${n}`).concat(row.errors ? [`err:${row.errors}`] : []).join(' ') || '0'
/** @param {import('./types.js').Row} row */
const sizes = (row) => (row.batches ? `${row.batches.mean} / ≤${row.batches.p99}` : '')

/**
 * The console table: one line per row, at most 120 columns. Markdown (save) has every field.
 * @param {import('./types.js').Row[]} rows
 */
export function table(rows) {
  const columns = /** @type {const} */ ([
    ['scenario', 36, (/** @type {import('./types.js').Row} */ r) => [r.scenario, variant(r)].filter(Boolean).join(' · ')],
    ['conn', 4, (r) => r.connections],
    ['req/s', 6, (r) => r.rps],
    ['×ceil', 5, (r) => r.ratio ?? ''],
    ['p50', 4, (r) => r.p50],
    ['p99', 4, (r) => r.p99],
    ['non-2xx', 9, failures],
    ['RSS', 4, (r) => r.peakRssMb ?? ''],
    ['µs:svc', 6, (r) => r.cpu?.target ?? ''],
    ['µs:db', 5, (r) => r.cpu?.mariadb ?? ''],
    ['µs:nats', 7, (r) => r.cpu?.nats ?? ''],
    ['batch mean/p99', 14, sizes],
  ])
  const cell = (/** @type {unknown} */ value, /** @type {number} */ width, /** @type {number} */ index) => {
    const text = String(value)
    const cut = text.length > width ? `${text.slice(0, width - 1)}…` : text
    return index === 0 ? cut.padEnd(width) : cut.padStart(width)
  }
  const line = (/** @type {unknown[]} */ values) => values.map((value, i) => cell(value, columns[i]?.[1] ?? 8, i)).join(' ')
  const notes = rows.filter((row) => row.note).map((row) => `  ${row.scenario}${variant(row) ? ` · ${variant(row)}` : ''} (conn ${row.connections}): ${row.note}`)
  return [
    line(columns.map(([name]) => name)),
    ...rows.map((row) => line(columns.map(([, , value]) => value(row)))),
    '',
    'p50/p99 in ms; ×ceil: req/s over the ceiling of the same workload at the same connections, this run;',
    'µs: CPU time per request of the target (for a ceiling, its client), of MariaDB and of a local NATS server (events on); RSS: peak, MB.',
    ...(notes.length > 0 ? ['', 'Checks:', ...notes] : []),
  ].join('\n')
}

/** @param {import('./types.js').Row[]} rows */
export function markdown(rows) {
  const head =
    '| scenario | variant | conn | requests | req/s | × ceiling | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors | peak RSS MB | CPU µs/req: target | CPU µs/req: MariaDB | CPU µs/req: NATS | batches | batch size mean | batch size p50 | batch size p99 | note |'
  const rule = '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|'
  const lines = rows.map((r) =>
    [
      r.scenario, variant(r), r.connections, r.requests, r.rps, r.ratio ?? '', r.p50, r.p90, r.p99, r.max,
      Object.entries(r.non2xx).map(([s, n]) => `${s}: ${n}`).join(', ') || '0', r.errors, r.peakRssMb ?? '',
      r.cpu?.target ?? '', r.cpu?.mariadb ?? '', r.cpu?.nats ?? '', r.batches?.batches ?? '', r.batches?.mean ?? '',
      r.batches ? `≤${r.batches.p50}` : '', r.batches ? `≤${r.batches.p99}` : '', r.note ?? '',
    ].join(' | '),
  )
  return [head, rule, ...lines.map((l) => `| ${l} |`)].join('\n')
}

/** @param {import('./types.js').Row[]} rows @param {Record<string, unknown>} meta */
export function save(rows, meta) {
  const dir = new URL('../results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const json = new URL(`load-${stamp}.json`, dir)
  const md = new URL(`load-${stamp}.md`, dir)
  writeFileSync(json, JSON.stringify({ meta, rows }, null, 2))
  writeFileSync(md, `# Load run ${stamp}\n\n${JSON.stringify(meta)}\n\n${markdown(rows)}\n`)
  return { json: json.pathname, md: md.pathname }
}
