// An ensemble member's links to the others, for its Replica (server/replica.ts ReplicaPeers): the
// election port carries notifications (election-connections.ts: one connection per pair, dialled by
// the higher id), the quorum port carries QuorumPackets (quorum-connection.ts). A learner dials its
// leader's quorum port the first time its core sends the leader a packet (FOLLOWERINFO); a leader
// takes each learner's connection as it arrives, named by its FOLLOWERINFO/OBSERVERINFO.
//
// ZabCore's transport contract: per connection, packets arrive in order; a quorum connection that
// breaks is reported with disconnected(peer) before anything on its successor is delivered (an
// arriving learner's old connection is reported before the new one's first packet); a close the
// core asked for (Ready.disconnects) is not reported back. A failed dial is not reported: the
// follower's next FOLLOWERINFO dials again, and the core gives up on its own after initLimit.

import type { Logger } from 'pino';
import type { Notification, PeerAddress, QuorumPacket } from '../proto/index.js';
import type { EnsembleMembership, Replica, ReplicaPeers } from '../server/index.js';
import { limits } from '../util/index.js';
import type { Outbound } from '../zab/index.js';
import { ElectionConnections } from './election-connections.js';
import { type QuorumConnection, connectToLeader, listenForLearners } from './quorum-connection.js';

interface LeaderLink {
  readonly id: number;
  connection: QuorumConnection | null;
  /** Packets sent before the connection is up. */
  readonly queue: QuorumPacket[];
  ended: boolean;
}

export interface PeerLinksOptions {
  membership: EnsembleMembership;
  logger: Logger;
  /** Dial timeout and read timeout of quorum connections (ms); ZabCore keeps the protocol's own timeouts in ticks. */
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

export class PeerLinks implements ReplicaPeers {
  private replica: Replica | null = null;
  private readonly election: ElectionConnections;
  private learnerPort: { port: number; close(): Promise<void> } | null = null;
  private leader: LeaderLink | null = null;
  private readonly learners = new Map<number, QuorumConnection>();
  private stopped = false;
  private readonly myId: number;

  constructor(private readonly options: PeerLinksOptions) {
    const { membership, logger } = options;
    this.myId = membership.myId;
    const electionAddresses = new Map<number, PeerAddress>();
    for (const member of membership.members) electionAddresses.set(member.id, { host: member.host, port: member.electionPort });
    this.election = new ElectionConnections({
      myId: this.myId,
      listenAddress: electionAddresses.get(this.myId)!,
      peers: electionAddresses,
      logger,
      events: { notification: (from, notification) => this.replica?.step(from, { kind: 'notification', notification }) },
    });
  }

  /** Starts listening on this member's election and quorum ports. */
  async start(replica: Replica): Promise<void> {
    this.replica = replica;
    await this.election.start();
    const me = this.member(this.myId);
    this.learnerPort = await listenForLearners({
      address: { host: me.host, port: me.quorumPort },
      logger: this.options.logger,
      handshakeTimeoutMs: this.options.readTimeoutMs,
      onLearner: ({ connection, info }) => this.learnerArrived(info.serverId, connection),
    });
  }

  send(outbound: Outbound): void {
    const { to, message } = outbound;
    if (this.stopped) return;
    if (message.kind === 'notification') {
      this.election.send(to, message.notification as Notification);
      return;
    }
    const learner = this.learners.get(to);
    if (learner !== undefined) {
      learner.send(message.packet);
      return;
    }
    // The common case (a learner's ACKs to its leader) needs no look at the role.
    if (this.leader?.id === to) {
      this.toLeader(to, message.packet);
      return;
    }
    const role = this.replica?.zab.status().role;
    if (role === 'following' || role === 'observing') this.toLeader(to, message.packet);
  }

  close(peer: number): void {
    const learner = this.learners.get(peer);
    if (learner !== undefined) {
      this.learners.delete(peer);
      learner.close('local');
    }
    if (this.leader?.id === peer) this.endLeaderLink(this.leader);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.leader !== null) this.endLeaderLink(this.leader);
    for (const connection of this.learners.values()) connection.close('local');
    this.learners.clear();
    await this.learnerPort?.close();
    await this.election.stop();
  }

  private member(id: number): EnsembleMembership['members'][number] {
    const member = this.options.membership.members.find((candidate) => candidate.id === id);
    if (member === undefined) throw new Error(`no server.${id} in the configuration`);
    return member;
  }

  private toLeader(id: number, packet: QuorumPacket): void {
    if (this.leader !== null && this.leader.id !== id) this.endLeaderLink(this.leader);
    if (this.leader === null) this.leader = this.dial(id);
    const link = this.leader;
    if (link.connection !== null) {
      link.connection.send(packet);
    } else if (link.queue.length < limits.learnerPacketsBeforeConnectMax) {
      link.queue.push(packet);
    }
  }

  private dial(id: number): LeaderLink {
    const link: LeaderLink = { id, connection: null, queue: [], ended: false };
    const member = this.member(id);
    connectToLeader({
      address: { host: member.host, port: member.quorumPort },
      logger: this.options.logger,
      readTimeoutMs: this.options.readTimeoutMs,
      connectTimeoutMs: this.options.connectTimeoutMs,
      events: {
        packet: (packet) => {
          if (!link.ended) this.replica?.step(id, { kind: 'packet', packet });
        },
        closed: (reason) => {
          if (link.ended) return;
          this.options.logger.info({ leader: id, reason }, 'quorum connection to the leader closed');
          this.forgetLeaderLink(link);
          this.replica?.disconnected(id);
        },
      },
    }).then((connection) => {
      if (link.ended) {
        connection.close('local');
        return;
      }
      link.connection = connection;
      for (const packet of link.queue.splice(0)) connection.send(packet);
    }, (error: unknown) => {
      if (link.ended) return;
      this.options.logger.debug({ leader: id, err: (error as Error).message }, 'cannot reach the leader yet');
      this.forgetLeaderLink(link);
    });
    return link;
  }

  private endLeaderLink(link: LeaderLink): void {
    this.forgetLeaderLink(link);
    link.connection?.close('local');
  }

  private forgetLeaderLink(link: LeaderLink): void {
    link.ended = true;
    if (this.leader === link) this.leader = null;
  }

  private learnerArrived(id: number, connection: QuorumConnection): Parameters<QuorumConnection['setEvents']>[0] {
    const known = this.options.membership.members.some((member) => member.id === id) && id !== this.myId;
    if (!known) {
      this.options.logger.warn({ id, remote: connection.remote }, 'quorum: a learner that is not a member; closing');
      queueMicrotask(() => connection.close('local'));
      return { packet: () => undefined, closed: () => undefined };
    }
    const previous = this.learners.get(id);
    if (previous !== undefined) {
      this.learners.delete(id);
      previous.close('local');
      this.replica?.disconnected(id);
    }
    this.learners.set(id, connection);
    return {
      packet: (packet) => {
        if (this.learners.get(id) === connection) this.replica?.step(id, { kind: 'packet', packet });
      },
      closed: (reason) => {
        if (this.learners.get(id) !== connection) return;
        this.learners.delete(id);
        if (reason !== 'local') this.replica?.disconnected(id);
      },
    };
  }
}
