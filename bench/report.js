// @ts-check
// Turns autocannon results into one row per scenario, printed and saved under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs'

/**
 * @typedef {{ scenario: string, requests: number, rps: number, p50: number, p90: number, p99: number,
 *   max: number, non2xx: Record<string, number>, errors: number, peakRssMb?: number | undefined,
 *   cpu?: Record<string, number | undefined>, note?: string }} Row
 */

/**
 * @param {string} scenario
 * @param {import('autocannon').Result} result
 * @param {Record<string, number | undefined>} [cpu] CPU µs per request, by process
 * @returns {Row}
 */
export function toRow(scenario, result, cpu) {
  /** @type {Record<string, number>} */
  const non2xx = {}
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    if (!status.startsWith('2')) non2xx[status] = /** @type {{count: number}} */ (stats).count
  }
  return {
    scenario,
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

/** @param {Row[]} rows */
export function markdown(rows) {
  const head = '| scenario | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors | peak RSS MB | CPU µs/req: target | CPU µs/req: MariaDB | note |'
  const rule = '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|'
  const lines = rows.map((r) =>
    [
      r.scenario,
      r.requests,
      r.rps,
      r.p50,
      r.p90,
      r.p99,
      r.max,
      Object.entries(r.non2xx).map(([s, n]) => `${s}: ${n}`).join(', ') || '0',
      r.errors,
      r.peakRssMb ?? '',
      r.cpu?.target ?? '',
      r.cpu?.mariadb ?? '',
      r.note ?? '',
    ].join(' | '),
  )
  return [head, rule, ...lines.map((l) => `| ${l} |`)].join('\n')
}

/** @param {Row[]} rows @param {Record<string, unknown>} meta */
export function save(rows, meta) {
  const dir = new URL('results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const json = new URL(`load-${stamp}.json`, dir)
  const md = new URL(`load-${stamp}.md`, dir)
  writeFileSync(json, JSON.stringify({ meta, rows }, null, 2))
  writeFileSync(md, `# Load run ${stamp}\n\n${JSON.stringify(meta)}\n\n${markdown(rows)}\n`)
  return { json: json.pathname, md: md.pathname }
}
