// Starts the admin listeners for a running core: the AdminServer (commands, health, /metrics) and,
// when zoo.cfg names ZooKeeper's Prometheus provider, a second listener serving only /metrics on
// metricsProvider.httpPort. Supplies what admin/ cannot find out itself: the credentials check
// against the root node's ACL (ZooKeeper 3.9's rule for its protected commands), the newest
// snapshot on disk, and the zoo.cfg text.

import { readdirSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { type AdminAuthorization, type AdminContext, AdminServer, type ServerMetrics, type ServerProcess } from '../admin/index.js';
import { Perms } from '../proto/index.js';
import type { MemberView, ServerCore } from '../server/index.js';
import { joinPath, versionDirName } from '../storage/index.js';
import { checkPermission, digestFor } from '../tree/index.js';
import type { AdminSettings } from './admin-config.js';
import { renderZooCfg } from './zoo-cfg.js';

export interface RunningAdmin {
  /** The AdminServer, or null when it is not enabled. */
  readonly commands: AdminServer | null;
  /** The metrics-only listener, or null when zoo.cfg does not ask for one. */
  readonly metrics: AdminServer | null;
  close(): Promise<void>;
}

/**
 * `Authorization: <scheme> <auth>` as ZooKeeper 3.9's AdminServer reads it; `digest user:password`
 * is the scheme Meerkat has. The ids it proves must hold some permission on `/` (checkACL with
 * Perms.ALL, as 3.9's snapshot command asks); the superDigest's user always does.
 */
export function adminAuthorizer(core: ServerCore): (authorization: string | undefined) => AdminAuthorization {
  return (authorization) => {
    if (authorization === undefined) return 'missing';
    const [scheme, auth, ...rest] = authorization.split(' ');
    if (scheme !== 'digest' || auth === undefined || rest.length > 0 || !auth.includes(':')) return 'unauthenticated';
    const colon = auth.indexOf(':');
    const id = digestFor(auth.slice(0, colon), auth.slice(colon + 1));
    const authIds = [{ scheme: 'digest', id }];
    const root = core.tree.getNode('/');
    const allowed = root !== undefined && checkPermission({ acl: root.acl, perm: Perms.all, authIds, superDigest: core.config.superDigest });
    return allowed ? 'allowed' : 'forbidden';
  };
}

const snapshotName = /^snapshot\.([0-9a-f]+)(\.gz|\.snappy)?$/;

/** The newest `version-2/snapshot.<zxid>` in the data directory, with its mtime in seconds (ZooKeeper's SnapshotInfo). */
function lastSnapshot(dataDir: string): { zxid: number; timestampSeconds: number } | null {
  const dir = joinPath(dataDir, versionDirName);
  let newest: { zxid: number; name: string } | null = null;
  try {
    for (const name of readdirSync(dir)) {
      const match = snapshotName.exec(name);
      if (match === null) continue;
      const zxid = Number.parseInt(match[1]!, 16);
      if (newest === null || zxid > newest.zxid) newest = { zxid, name };
    }
    if (newest === null) return null;
    return { zxid: newest.zxid, timestampSeconds: Math.floor(statSync(joinPath(dir, newest.name)).mtimeMs / 1000) };
  } catch {
    return null;
  }
}

export async function startAdmin(options: {
  core: ServerCore;
  settings: AdminSettings;
  clientPort: number;
  process: ServerProcess;
  /** Served at /metrics on both listeners; null serves no /metrics. */
  metrics: ServerMetrics | null;
  logger: Logger;
  /** The ensemble member the core belongs to; absent standalone. */
  member?: MemberView;
}): Promise<RunningAdmin> {
  const { core, settings, logger } = options;
  const context: AdminContext = {
    core, process: options.process, clientPort: options.clientPort, member: options.member ?? null,
    facts: { lastSnapshot: () => lastSnapshot(core.config.dataDir), initialConfiguration: renderZooCfg(core.config) },
  };
  const common = {
    context,
    authorize: adminAuthorizer(core),
    ready: () => (core.writesRefused ? { ready: false as const, reason: 'the txn log refused a write' } : { ready: true as const }),
    onError: (error: unknown, command: string) => logger.error({ err: error, command }, 'admin command failed'),
    ...(options.metrics === null ? {} : { metrics: options.metrics }),
  };
  const commands = settings.enabled
    ? await AdminServer.start({ ...common, host: settings.host, port: settings.port, commandUrl: settings.commandUrl })
    : null;
  let metrics: AdminServer | null = null;
  try {
    // The metrics listener answers /metrics (and the health probes), and no commands.
    if (settings.metrics !== null) metrics = await AdminServer.start({ ...common, ...settings.metrics, commandUrl: null });
  } catch (error) {
    await commands?.close();
    throw error;
  }
  if (commands !== null) logger.info({ host: commands.host, port: commands.port, commandUrl: settings.commandUrl }, 'admin server serving');
  if (metrics !== null) logger.info({ host: metrics.host, port: metrics.port }, 'metrics serving');
  return {
    commands,
    metrics,
    async close() {
      await Promise.all([commands?.close(), metrics?.close()]);
    },
  };
}
