import { type FastifyReply, type FastifyRequest, LogController } from 'fastify'

/**
 * One access-log line per request, at debug. At info, fastify's two lines per request cost about
 * a tenth of the read throughput (load harness, LOG_LEVEL=info against warn), and traces already
 * record the sampled requests. LOG_LEVEL=debug turns it on; failures are logged at error by the
 * error handler whatever the level.
 */
export class DebugAccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    request.log.debug(
      { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime },
      'request completed',
    )
  }
}
