import { execFileSync } from 'node:child_process'
import type { TestProject } from 'vitest/node'
import { startDatabaseServer } from './database-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseServerUrl: string
  }
}

/** Builds dist/ (the process tests run what `npm start` runs) and picks the MariaDB server once. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
  const server = await startDatabaseServer()
  console.log(`[e2e] MariaDB: ${server.description}`)
  project.provide('databaseServerUrl', server.url)
  return () => server.stop()
}
