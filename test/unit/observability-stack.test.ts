import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const root = new URL('../../', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')

interface Service {
  image?: string
  environment?: Record<string, string>
  volumes?: string[]
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> }
const { app, jaeger, prometheus, grafana } = compose.services as Record<string, Service>
const dashboard = JSON.parse(read('deploy/grafana/dashboards/internal-transfers.json')) as {
  panels: { type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[]
}
/** A volume's host path (relative to the repository) by its path in the container. */
const mounts = (service: Service | undefined) =>
  Object.fromEntries((service?.volumes ?? []).map((volume) => volume.split(':')).map(([host, target]) => [target, host]))

describe('docker-compose: Jaeger, Prometheus and Grafana beside the service', () => {
  it('records every trace and sends it to Jaeger v2', () => {
    expect(jaeger?.image).toMatch(/^jaegertracing\/jaeger:2\./)
    expect(app?.environment).toMatchObject({ OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })
  })

  it('mounts only files that exist in the repository', () => {
    for (const service of Object.values(compose.services)) {
      const hosts = Object.values(mounts(service)).filter((path): path is string => typeof path === 'string' && path.startsWith('./'))
      for (const host of hosts) expect(existsSync(new URL(host, root)), host).toBe(true)
    }
  })

  it('has Prometheus scrape the port the service serves its metrics on', () => {
    const config = parse(read(mounts(prometheus)['/etc/prometheus/prometheus.yml']!)) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[]
    }
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((group) => group.targets))
    expect(app?.environment?.OTEL_METRICS_EXPORTER).toBe('prometheus')
    expect(targets).toEqual([`app:${app?.environment?.OTEL_EXPORTER_PROMETHEUS_PORT}`])
  })

  it('provisions the dashboard into Grafana, every panel on the provisioned Prometheus datasource', () => {
    const provisioning = mounts(grafana)['/etc/grafana/provisioning']!
    const datasources = parse(read(`${provisioning}/datasources/prometheus.yml`)) as { datasources: { uid: string; url: string }[] }
    const providers = parse(read(`${provisioning}/dashboards/dashboards.yml`)) as { providers: { options: { path: string } }[] }
    const dashboards = mounts(grafana)[providers.providers[0]!.options.path]
    expect(dashboards && existsSync(new URL(`${dashboards}/internal-transfers.json`, root))).toBe(true)
    expect(datasources.datasources[0]?.url).toBe('http://prometheus:9090')
    const uids = new Set(dashboard.panels.filter((panel) => panel.type !== 'row').map((panel) => panel.datasource?.uid))
    expect(uids).toEqual(new Set([datasources.datasources[0]?.uid]))
  })
})
