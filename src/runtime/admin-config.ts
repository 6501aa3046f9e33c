// The admin and metrics settings in zoo.cfg, under ZooKeeper's keys: admin.enableServer,
// admin.serverAddress, admin.serverPort, admin.commandURL (its AdminServer) and
// metricsProvider.className, metricsProvider.httpHost, metricsProvider.httpPort (its Prometheus
// provider). They arrive in ServerConfig.extra (zoo.cfg's unknown keys) and are checked here.
// Secure defaults where ZooKeeper's are open: both listeners bind 127.0.0.1, not every interface,
// and the AdminServer runs only when zoo.cfg (or the caller) asks for it (docs/admin.md).

import type { ServerConfig } from '../server/index.js';

export class AdminConfigError extends Error {
  override name = 'AdminConfigError';
}

export interface AdminSettings {
  enabled: boolean;
  host: string;
  /** 0 picks a free port. */
  port: number;
  commandUrl: string;
  /** A second listener that serves only /metrics, as ZooKeeper's Prometheus provider; null when not asked for. */
  metrics: { host: string; port: number } | null;
}

/** ZooKeeper's Prometheus provider: the class name zoo.cfg uses to turn it on. */
export const prometheusProviderClass = 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';

const loopback = '127.0.0.1';

function port(key: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new AdminConfigError(`${key}: expected a port 0-65535, got "${value}"`);
  return Number(value);
}

function flag(key: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  throw new AdminConfigError(`${key}: expected true or false, got "${value}"`);
}

/**
 * The settings zoo.cfg's keys give. The AdminServer is on when admin.enableServer=true, or when
 * admin.serverPort or admin.serverAddress is set and admin.enableServer is not false.
 */
export function adminSettings(config: Pick<ServerConfig, 'extra'>): AdminSettings {
  const extra = config.extra;
  const value = (key: string): string | undefined => (Object.hasOwn(extra, key) ? extra[key] : undefined);
  const enable = value('admin.enableServer');
  const asked = value('admin.serverPort') !== undefined || value('admin.serverAddress') !== undefined;
  const commandUrl = value('admin.commandURL') ?? '/commands';
  if (!commandUrl.startsWith('/')) throw new AdminConfigError(`admin.commandURL: expected a path starting with "/", got "${commandUrl}"`);
  const className = value('metricsProvider.className');
  if (className !== undefined && className !== prometheusProviderClass) {
    throw new AdminConfigError(`metricsProvider.className: only ${prometheusProviderClass} is available, got "${className}"`);
  }
  const httpPort = value('metricsProvider.httpPort');
  return {
    enabled: enable === undefined ? asked : flag('admin.enableServer', enable),
    host: value('admin.serverAddress') ?? loopback,
    port: port('admin.serverPort', value('admin.serverPort') ?? '8080'),
    commandUrl,
    metrics: className === undefined
      ? null
      : { host: value('metricsProvider.httpHost') ?? loopback, port: port('metricsProvider.httpPort', httpPort ?? '7000') },
  };
}
