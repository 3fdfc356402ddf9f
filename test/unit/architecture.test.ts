import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = fileURLToPath(new URL('../../src/', import.meta.url))

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  )
}

/** Every module specifier of a file: static imports, re-exports and dynamic imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1] as string)
}

/** The layer a specifier lands in: one of ours by folder, or 'package:<name>'. */
function layerOf(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return `package:${specifier}`
  const target = relative(src, join(file, '..', specifier))
  return target.split('/')[0] ?? target
}

const RULES: Record<string, (layer: string) => boolean> = {
  // The domain is pure: itself and decimal.js, nothing else.
  domain: (layer) => layer === 'domain' || layer === 'package:decimal.js',
  // Ports describe capabilities in domain terms only.
  ports: (layer) => layer === 'domain' || layer === 'ports',
  // Use cases see the domain and the ports, never an adapter or a driver.
  app: (layer) => layer === 'domain' || layer === 'ports' || layer === 'app',
  // Adapters may use everything inward but never reach the composition root, its builder or config.
  adapters: (layer) => !['main.ts', 'application.ts', 'config.ts'].includes(layer),
}

describe('the hexagon points one way', () => {
  const files = filesUnder(src)

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(10)
  })

  it.each(Object.keys(RULES))('%s imports only what it may', (folder) => {
    const allowed = RULES[folder] as (layer: string) => boolean
    const offending = files
      .filter((file) => relative(src, file).startsWith(`${folder}/`))
      .flatMap((file) =>
        importsOf(file)
          .filter((specifier) => !allowed(layerOf(file, specifier)))
          .map((specifier) => `${relative(src, file)} imports ${specifier}`),
      )
    expect(offending).toEqual([])
  })
})
