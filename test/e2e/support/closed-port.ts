import { once } from 'node:events'
import { createServer } from 'node:net'

/** A local port that refuses connections: bind one, note it, close it. */
export async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
