import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'
import { problem, sendRendered } from './problems.js'

/**
 * A path of the API document asked with a method it does not serve answers 405 with `Allow`
 * (RFC 9110 §15.5.6), not 404. Call it before the routes are registered, so it sees each of them;
 * register the plugin it returns after them: it adds one hidden route per path for every other
 * method. Hidden routes (the documentation's own) are left out.
 */
export function methodNotAllowed(app: FastifyInstance): FastifyPluginAsync {
  const methodsByUrl = new Map<string, Set<string>>()
  app.addHook('onRoute', (route) => {
    if ((route.schema as { hide?: boolean } | undefined)?.hide) return
    const methods = methodsByUrl.get(route.url) ?? new Set<string>()
    for (const method of [route.method].flat()) methods.add(method)
    methodsByUrl.set(route.url, methods)
  })

  return async (instance) => {
    // A copy: the routes added here pass through the hook above too.
    for (const [url, methods] of [...methodsByUrl].map(([url, methods]) => [url, [...methods].sort()] as const)) {
      const allow = methods.join(', ')
      // Answered as soon as the request is routed: its body is neither read nor parsed.
      const refuse = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
        const body = problem('METHOD_NOT_ALLOWED', `${request.method} is not served on ${request.url.split('?')[0]}; use ${allow}`)
        return sendRendered(reply.header('allow', allow), { status: body.status, body: JSON.stringify(body) })
      }
      instance.route({
        method: instance.supportedMethods.filter((method) => !methods.includes(method)) as HTTPMethods[],
        url,
        exposeHeadRoute: false,
        schema: { hide: true },
        onRequest: async (request, reply) => refuse(request, reply),
        handler: async (request, reply) => refuse(request, reply),
      })
    }
  }
}
