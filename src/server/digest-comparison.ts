// Digest comparison between an ensemble's members (DESIGN.md rule 7): the leader's PINGs carry its
// tree digest at the zxid it has applied (a ZxidDigest, proto/quorum.ts), and each learner compares
// it with its own digest at that same zxid. A mismatch means two replicas that applied the same
// history hold different trees: the learner reports it (the member logs it as an error) and counts
// it (`digest_mismatches_count` in mntr and /metrics, ZooKeeper's name for the same counter).
//
// Same zxid, without a history of digests: the leader applies a commit before it sends anything of
// the same Ready (Replica.finish), so a PING leaves after every COMMIT or INFORM up to the zxid it
// names, on the same connection. A learner applies each COMMIT when it takes it, and inputs are taken
// in order, so when the PING arrives the learner has applied exactly that zxid. Anything else (the
// learner still syncing, a PING from a leader we do not follow, another payload) is not compared.
//
// ZooKeeper's own mechanism is a TxnDigest after each txn in PROPOSAL data, computed in prep from the
// pending changes. Meerkat's prep does not know a txn's resulting digest before applying it, and a
// TxnDigest must be exactly the digest after its txn, so a Meerkat leader sends none; ZooKeeper
// learners ignore a leader PING's data (Learner.ping), so this stays inside ZooKeeper's wire format.

import { QuorumPacketType, decodeZxidDigest, encodeZxidDigest } from '../proto/index.js';
import type { Outbound, ZabCore, ZabMessage } from '../zab/index.js';
import type { ServerCore } from './server-core.js';

/** ZooKeeper's digest version (DigestCalculator): CRC32 of path, data and stat, summed mod 2^64. */
export const treeDigestVersion = 2;

export interface DigestMismatch {
  /** The zxid both trees are at. */
  zxid: number;
  leader: number;
  leaderDigest: bigint;
  localDigest: bigint;
}

export class DigestComparison {
  /** Comparisons made (equal or not), and those that found different trees. */
  comparisons = 0;
  mismatches = 0;
  /** The last comparison: its zxid and whether the digests were equal; null before the first. */
  last: { zxid: number; equal: boolean } | null = null;
  /** Called on every mismatch (the member logs it as an error). */
  onMismatch: (mismatch: DigestMismatch) => void = () => undefined;

  constructor(private readonly parts: { core: ServerCore; zab: ZabCore }) {}

  /** Leader: a PING to a learner leaves with our digest at our applied zxid. */
  stamp(outbound: Outbound): Outbound {
    const { message } = outbound;
    if (message.kind !== 'packet' || message.packet.type !== QuorumPacketType.ping || message.packet.data !== null) return outbound;
    const status = this.parts.zab.status();
    if (status.role !== 'leading' || !status.established) return outbound;
    const { core } = this.parts;
    const data = encodeZxidDigest({ zxid: core.lastZxid, version: treeDigestVersion, digest: core.tree.digest() });
    return { to: outbound.to, message: { kind: 'packet', packet: { ...message.packet, data } } };
  }

  /** Learner: compares a PING from the leader we follow with our tree, before ZAB takes the PING. */
  check(from: number, message: ZabMessage): void {
    if (message.kind !== 'packet' || message.packet.type !== QuorumPacketType.ping) return;
    const status = this.parts.zab.status();
    if (status.role === 'leading' || !status.established || status.leader !== from) return;
    const theirs = decodeZxidDigest(message.packet.data);
    const { core } = this.parts;
    if (theirs === null || theirs.version !== treeDigestVersion || theirs.zxid !== core.lastZxid) return;
    const localDigest = core.tree.digest();
    const equal = localDigest === theirs.digest;
    this.comparisons++;
    this.last = { zxid: theirs.zxid, equal };
    if (equal) return;
    this.mismatches++;
    this.onMismatch({ zxid: theirs.zxid, leader: from, leaderDigest: theirs.digest, localDigest });
  }
}
