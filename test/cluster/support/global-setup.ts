import { execFileSync } from 'node:child_process'
import type { TestProject } from 'vitest/node'
import { startDatabaseServer } from '../../e2e/support/database-server.js'

/**
 * Builds dist/ (the instances run what `npm start` runs) and picks the single MariaDB the e2e
 * suite uses, for the one-server comparison. Each Galera test file starts its own cluster.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
  const server = await startDatabaseServer()
  console.log(`[cluster] single MariaDB: ${server.description}`)
  project.provide('databaseServerUrl', server.url)
  return () => server.stop()
}
