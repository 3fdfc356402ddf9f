# Build stage: compile TypeScript, then keep only production dependencies.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# npm ci runs the Node check (preinstall) first.
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled service and its production dependencies only.
FROM node:24-slim
WORKDIR /app
ENV HOST=0.0.0.0 PORT=9999
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 9999
# The slim image has no curl; Node's fetch does the probe.
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 9999) + '/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# As `npm start`: the telemetry module must load before main.js imports fastify, mysql2, ioredis and pino;
# the heap is bounded so that the process stays near 256 MB RSS under load (see docs/performance.md, Memory).
CMD ["node", "--max-old-space-size=192", "--max-semi-space-size=16", "--import", "./dist/adapters/telemetry/register.js", "dist/main.js"]
