// The driver of one ensemble member: the deterministic Replica (server/replica.ts) wired to the real
// world — its data directory (replica-disk.ts, recovered with storage/replica-recovery.ts), its
// peers (replica-peers.ts), the client listener, and the wall clock as ZAB ticks.
//
// Time: ZabCore counts ticks; one ZAB tick here is `zabTickMs` (a quarter of tickTime, at most 50 ms,
// so elections and failover react quickly). ZooKeeper's limits keep their meaning in wall time:
// initLimit and syncLimit are in tickTime units, the leader pings every tickTime / 2, a looking
// server re-sends its vote after 200 ms of silence and waits 200 ms for a better vote
// (FastLeaderElection's finalizeWait), a learner re-sends FOLLOWERINFO every second.

import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { type EnsembleMembership, MemberView, Replica, type ServerConfig } from '../server/index.js';
import { zxidToHex } from '../util/index.js';
import { type FileSystem, readReplicaStart } from '../storage/index.js';
import type { ZabConfig } from '../zab/index.js';
import { ClientListener } from './client-listener.js';
import { directoryBytes } from './disk-usage.js';
import { NodeFileSystem } from './node-file-system.js';
import { NodeReplicaDisk } from './replica-disk.js';
import { PeerLinks } from './replica-peers.js';

export interface EnsembleMemberOptions {
  config: ServerConfig;
  logger: Logger;
  fileSystem?: FileSystem;
  /** A log write failed: the member cannot go on (default: exit the process with status 1). */
  onFatal?: (error: Error) => void;
}

export interface RunningMember {
  readonly host: string;
  readonly port: number;
  readonly connectString: string;
  readonly replica: Replica;
  /** What the four-letter words and the AdminServer report of this member. */
  readonly member: MemberView;
  close(): Promise<void>;
}

const wallClock = { now: (): number => Date.now() };

export function zabTickMs(tickTimeMs: number): number {
  return Math.max(5, Math.min(50, Math.floor(tickTimeMs / 4)));
}

/** ZabCore's configuration from zoo.cfg's, in ZAB ticks (see the file comment). */
export function zabConfigFor(config: ServerConfig, membership: EnsembleMembership): ZabConfig {
  const tick = zabTickMs(config.tickTimeMs);
  const ticks = (ms: number): number => Math.max(1, Math.ceil(ms / tick));
  return {
    id: membership.myId,
    voters: membership.members.filter((member) => member.role === 'participant').map((member) => member.id),
    observers: membership.members.filter((member) => member.role === 'observer').map((member) => member.id),
    initLimitTicks: ticks(config.initLimitTicks * config.tickTimeMs),
    syncLimitTicks: ticks(config.syncLimitTicks * config.tickTimeMs),
    pingIntervalTicks: ticks(config.tickTimeMs / 2),
    finalizeWaitTicks: ticks(200),
    electionResendTicks: ticks(200),
    connectRetryTicks: ticks(1000),
  };
}

/** ZooKeeper takes a snapshot after a random count in [snapCount/2, snapCount), so members do not snapshot together. */
function snapshotEvery(snapCount: number): number {
  const half = Math.max(1, Math.floor(snapCount / 2));
  return half + Math.floor(Math.random() * half);
}

export async function startEnsembleMember(options: EnsembleMemberOptions): Promise<RunningMember> {
  const { config, logger } = options;
  const membership = config.ensemble;
  if (membership === null) throw new Error('startEnsembleMember needs an ensemble configuration');
  mkdirSync(config.dataDir, { recursive: true });
  const fs = options.fileSystem ?? new NodeFileSystem();
  const start = await readReplicaStart({ fs, dataDir: config.dataDir, dataLogDir: config.dataLogDir, warn: (message) => logger.warn(message) });
  logger.info({
    snapshot: start.snapshot?.file ?? null, txnsInLog: start.log.length, lastZxid: `0x${start.lastZxid.toString(16)}`,
    acceptedEpoch: start.acceptedEpoch, currentEpoch: start.currentEpoch,
  }, 'recovered data directory');

  const disk = new NodeReplicaDisk({ fs, config, logger, lastZxid: start.lastZxid });
  const membershipMs = config.initLimitTicks * config.tickTimeMs;
  const peers = new PeerLinks({ membership, logger, connectTimeoutMs: Math.min(5000, membershipMs), readTimeoutMs: membershipMs });
  let view: MemberView | null = null;
  const replica = new Replica({
    zab: zabConfigFor(config, membership),
    server: { ...config, serverId: membership.myId },
    clock: wallClock,
    disk,
    peers,
    durable: { acceptedEpoch: start.acceptedEpoch, currentEpoch: start.currentEpoch, snapshotZxid: start.snapshot?.zxid ?? 0, log: start.log },
    snapshot: start.snapshot?.bytes ?? null,
    snapshotEveryTxns: snapshotEvery(config.snapCount),
    events: {
      roleChanged: (change) => {
        view?.roleChanged(change);
        logger.info({
          role: change.role, established: change.established, leader: change.leader, epoch: change.epoch, reason: change.reason,
        }, 'role');
      },
    },
  });
  const member = new MemberView({ replica, membership, clock: wallClock });
  view = member;
  // Rule 7: two replicas at one zxid with different trees. Loud: the tree of this member (or of the
  // leader) is corrupt, and what it serves may be wrong. ZooKeeper logs and counts it; so do we.
  replica.digests.onMismatch = (mismatch) => logger.error({
    zxid: `0x${zxidToHex(mismatch.zxid)}`, leader: mismatch.leader,
    leaderDigest: mismatch.leaderDigest.toString(16), localDigest: mismatch.localDigest.toString(16),
  }, 'DIGEST MISMATCH: this member\'s tree differs from the leader\'s at the same zxid');
  replica.core.quotaWarning = (message) => logger.warn(message);
  replica.core.warn = (message) => logger.warn(message);
  replica.core.diskUsage = () => ({ dataDirBytes: directoryBytes(config.dataDir), logDirBytes: directoryBytes(config.dataLogDir) });
  const onFatal = options.onFatal ?? ((error: Error) => {
    logger.fatal({ err: error }, 'cannot write the txn log: stopping this member');
    process.exit(1);
  });
  disk.onDurable = (zxid) => replica.persisted(zxid);
  disk.onFailure = onFatal;
  await peers.start(replica);

  const listener = new ClientListener({ core: replica.core, member, logger, onRequests: () => replica.input(() => undefined) });
  const address = await listener.listen(config.host, config.port);
  const tickTimer = setInterval(() => replica.tick(), zabTickMs(config.tickTimeMs));
  const reaperTimer = setInterval(() => replica.reapContainers(), config.containerCheckIntervalMs);
  logger.info({ host: address.host, port: address.port, myid: membership.myId, members: membership.members.length }, 'meerkat member serving');

  let closed = false;
  return {
    host: address.host,
    port: address.port,
    connectString: `${address.host}:${address.port}`,
    replica,
    member,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(tickTimer);
      clearInterval(reaperTimer);
      await listener.close();
      await peers.stop();
      await disk.close();
      logger.info('meerkat member stopped');
    },
  };
}
