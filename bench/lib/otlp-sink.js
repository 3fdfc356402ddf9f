// @ts-check
// A collector stand-in for load runs: accepts OTLP/HTTP exports, counts them, keeps nothing.
// Without a listening collector the service would be measured retrying failed exports.
import { createServer } from 'node:http'

export async function startOtlpSink() {
  let requests = 0
  let bytes = 0
  const server = createServer((request, response) => {
    request.on('data', (chunk) => (bytes += chunk.length))
    request.on('end', () => {
      requests++
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stats: () => ({ requests, bytes }),
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}
