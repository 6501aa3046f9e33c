// How ZooKeeper encodes container and TTL nodes in StatPersisted.ephemeralOwner (EphemeralType):
// a container's owner is Long.MIN_VALUE; a TTL node's is 0xFF00.. | ttl. Clients see 0 for both.
// Session ids and owners are signed 64-bit values, as Java has them.

export const containerEphemeralOwner = -0x8000_0000_0000_0000n;

/** The largest TTL the encoding holds (48 bits of milliseconds), as ZooKeeper's TTL maxValue. */
export const ttlMax = 2 ** 48 - 1;

const extendedMask = BigInt.asIntN(64, 0xff00_0000_0000_0000n);

export function ttlEphemeralOwner(ttlMs: number): bigint {
  return BigInt.asIntN(64, extendedMask | BigInt(ttlMs));
}

export function isContainerOwner(owner: bigint): boolean {
  return owner === containerEphemeralOwner;
}

export function isTtlOwner(owner: bigint): boolean {
  return owner !== containerEphemeralOwner && (owner & extendedMask) === extendedMask;
}

/** The TTL in milliseconds of a TTL node's owner value. */
export function ttlOfOwner(owner: bigint): number {
  return Number(BigInt.asUintN(48, owner));
}

/** An owner that is a real session (an ephemeral node), not 0, a container or a TTL marker. */
export function isSessionOwner(owner: bigint): boolean {
  return owner !== 0n && !isContainerOwner(owner) && !isTtlOwner(owner);
}
