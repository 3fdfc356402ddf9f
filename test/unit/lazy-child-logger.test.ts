import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { lazyChildLogger } from '../../src/adapters/http/lazy-child-logger.js'

function capture(level: string) {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  return { logger: pino({ level }, stream), lines }
}

describe('a lazily bound request logger', () => {
  it('writes its bindings on every line, and makes the child only when a line is written', async () => {
    const { logger, lines } = capture('info')
    let children = 0
    const counted = Object.assign(Object.create(logger) as typeof logger, {
      child: (bindings: object) => {
        children++
        return logger.child(bindings)
      },
    })
    const log = lazyChildLogger(counted, { api_key_id: 'abcdefghijkl' })
    log.debug({ statusCode: 200 }, 'request completed') // below the level: nothing, no child
    expect(children).toBe(0)
    log.error({ code: 'X' }, 'request failed')
    log.info('again')
    expect(children).toBe(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines.map(({ api_key_id, msg, code }) => ({ api_key_id, msg, code }))).toEqual([
      { api_key_id: 'abcdefghijkl', msg: 'request failed', code: 'X' },
      { api_key_id: 'abcdefghijkl', msg: 'again', code: undefined },
    ])
    expect(log.level).toBe('info')
  })
})
