// @ts-check
// autocannon with the harness's method: a warm-up of the same load, unmeasured, then the measured
// run, with a live progress line for each and the CPU time of the target and MariaDB per request.
import autocannon from 'autocannon'
import { startCpuMeter } from './cpu.js'

/** A live progress line on stderr, for one phase; nothing when stderr is not a terminal. @param {string} label */
export function progressLine(label) {
  let done = 0
  if (!process.stderr.isTTY) return { update: (/** @type {number} */ n) => void (done = n), end: () => {} }
  const started = Date.now()
  const timer = setInterval(() => {
    const seconds = (Date.now() - started) / 1000
    process.stderr.write(`\r  ${label}: ${done} requests in ${seconds.toFixed(0)} s (${Math.round(done / seconds)} req/s)      `)
  }, 1000)
  return {
    update: (/** @type {number} */ n) => (done = n),
    end: () => {
      clearInterval(timer)
      process.stderr.write('\r\u001b[2K')
    },
  }
}

/** @param {string} label @param {autocannon.Options} options @returns {Promise<autocannon.Result>} */
function run(label, options) {
  return new Promise((resolve, reject) => {
    const progress = progressLine(label)
    let done = 0
    const instance = autocannon(options, (error, result) => {
      progress.end()
      if (error) reject(error)
      else resolve(result)
    })
    instance.on('response', () => progress.update(++done))
  })
}

/** 2xx answers of a result, by status. @param {autocannon.Result} result */
export function successes(result) {
  return Object.entries(result.statusCodeStats ?? {})
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, stats]) => sum + /** @type {{ count: number }} */ (stats).count, 0)
}

/**
 * Runs `options` for `warmup` seconds unmeasured (when it is timed), then measured, counting CPU
 * per request of `pids` over the measured run only. A fresh process runs at half speed for its
 * first seconds while V8 compiles its hot paths, and the service has more of them than a ceiling,
 * so without the warm-up short runs understate the service.
 * @param {{ label: string, warmup: number, pids: Record<string, number | undefined>, options: autocannon.Options,
 *   measured?: { before(): Promise<void>, after(): Promise<void> } }} run
 */
export async function cannon({ label, warmup, pids, options, measured }) {
  const warm = warmup > 0 && options.duration !== undefined ? await run(`${label} (warm-up)`, { ...options, duration: warmup }) : undefined
  await measured?.before()
  const meter = startCpuMeter(pids)
  const result = await run(label, options)
  const cpu = meter.stop(result.requests.total)
  await measured?.after()
  return { result, cpu, warmupSuccesses: warm ? successes(warm) : 0 }
}
