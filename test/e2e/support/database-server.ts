import { MariaDbContainer } from '@testcontainers/mariadb'
import { getContainerRuntimeClient } from 'testcontainers'

export interface DatabaseServer {
  /** mysql://user:password@host:port, without a database name. */
  url: string
  description: string
  stop(): Promise<void>
}

const IMAGE = 'mariadb:11.4'

/**
 * A MariaDB server for the e2e suite: a testcontainers MariaDB where a container runtime answers,
 * otherwise the server named by TEST_DATABASE_URL, otherwise the local one on 127.0.0.1:3306.
 */
export async function startDatabaseServer(env = process.env): Promise<DatabaseServer> {
  const runtime = await getContainerRuntimeClient().then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  )
  if (runtime === undefined) {
    const container = await new MariaDbContainer(IMAGE).start()
    const url = `mysql://root:${encodeURIComponent(container.getRootPassword())}@${container.getHost()}:${container.getPort()}`
    return {
      url,
      description: `testcontainers ${IMAGE} at ${container.getHost()}:${container.getPort()}`,
      stop: async () => {
        await container.stop()
      },
    }
  }
  const url = serverUrl(env.TEST_DATABASE_URL || 'mysql://root@127.0.0.1:3306')
  const source = env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL' : 'the default local server'
  return {
    url,
    description: `${redact(url)} from ${source} (no container runtime: ${runtime})`,
    stop: async () => {},
  }
}

function serverUrl(url: string): string {
  const parsed = new URL(url)
  parsed.pathname = ''
  return parsed.toString().replace(/\/$/, '')
}

function redact(url: string): string {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}
