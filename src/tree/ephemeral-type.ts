// How ZooKeeper encodes container and TTL nodes in StatPersisted.ephemeralOwner (EphemeralType):
// a container's owner is Long.MIN_VALUE; a TTL node's is 0xFF (extended) in the top byte, 0x0000
// (the TTL feature) in the next 16 reserved bits, and the TTL in the low 40. Clients see 0 for both.
// Session ids and owners are signed 64-bit values, as Java has them.

export const containerEphemeralOwner = -0x8000_0000_0000_0000n;

/**
 * The largest TTL in milliseconds (the 40 value bits, about 34 years): ZooKeeper's EphemeralType.TTL
 * maxValue. A create with a TTL above it, or not above 0, is answered BADARGUMENTS.
 */
export const ttlMax = 2 ** 40 - 1;

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
  return Number(BigInt.asUintN(40, owner));
}

/** An owner that is a real session (an ephemeral node), not 0, a container or a TTL marker. */
export function isSessionOwner(owner: bigint): boolean {
  return owner !== 0n && !isContainerOwner(owner) && !isTtlOwner(owner);
}
