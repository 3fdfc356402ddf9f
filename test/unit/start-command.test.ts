import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const root = new URL('../../', import.meta.url)
const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8')

describe('the start command', () => {
  it('loads the telemetry module before the service', () => {
    expect(scripts.start).toMatch(/^node (--[\w-]+=\d+ )*--import \.\/dist\/adapters\/telemetry\/register\.js dist\/main\.js$/)
  })

  it('bounds the heap, so the process stays near 256 MB resident under load', () => {
    expect(scripts.start).toContain('--max-old-space-size=192')
    expect(scripts.start).toContain('--max-semi-space-size=16')
  })

  it('is the same in the Dockerfile as in `npm start`', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1]
    expect(cmd && (JSON.parse(cmd) as string[])).toEqual(scripts.start?.split(' '))
  })
})
