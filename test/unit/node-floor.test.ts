import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = new URL('../../', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; scripts: Record<string, string> }
const CHECK = fileURLToPath(new URL('scripts/check-node.js', root))

/** Runs the check as npm does, for `version` instead of the running Node. */
function check(version?: string): { status: number | null; stderr: string } {
  const { status, stderr } = spawnSync(process.execPath, version ? [CHECK, version] : [CHECK], { encoding: 'utf8' })
  return { status, stderr }
}

describe('the Node floor', () => {
  // 22.22 is testcontainers 12's floor (undici 8 needs 22.19); vitest 5 and eslint leave out 23 and 25.
  it('is the range the dependencies declare', () => {
    expect(pkg.engines.node).toBe('^22.22.0 || ^24.0.0 || >=26.0.0')
  })

  it.each(['22.22.0', '22.23.5', '24.0.0', '24.22.3', '26.0.0', '27.1.0'])('accepts %s silently', (version) => {
    expect(check(version)).toEqual({ status: 0, stderr: '' })
  })

  it.each(['20.20.2', 'v22.12.0', '22.21.1', '18.0.0'])('stops %s with one sentence naming the floor', (version) => {
    expect(check(version)).toEqual({
      status: 1,
      stderr: `Node ≥ 22.22.0 is required, this is ${version.replace(/^v/, '')}; see .nvmrc\n`,
    })
  })

  it.each(['23.11.1', '25.9.0'])('stops %s, between supported releases, with the whole range', (version) => {
    expect(check(version)).toEqual({
      status: 1,
      stderr: `Node ${pkg.engines.node} is required, this is ${version}; see .nvmrc\n`,
    })
  })

  it('accepts the Node running these tests', () => {
    expect(check()).toEqual({ status: 0, stderr: '' })
  })

  it('runs before npm ci, npm start, npm migrate and npm test do anything', () => {
    for (const script of ['preinstall', 'prestart', 'premigrate', 'pretest']) {
      expect(pkg.scripts[script], script).toMatch(/^node scripts\/check-node\.js( && |$)/)
    }
    expect(read('.npmrc')).toMatch(/^engine-strict=true$/m)
  })

  it('is the same in .nvmrc, the Dockerfile, .ci/run and the README', () => {
    expect(check(read('.nvmrc').trim()).status).toBe(0)
    for (const [, major] of read('Dockerfile').matchAll(/^FROM node:(\d+)/gm)) expect(check(major).status).toBe(0)
    expect(read('.ci/run')).toContain('node scripts/check-node.js')
    expect(read('README.md')).toContain('Node.js 22.22+, 24 or 26+')
  })
})
