// Session passwords, derived exactly as ZooKeeper derives them: 16 bytes from java.util.Random
// seeded with (sessionId XOR 0xB3415C00). Being a pure function of the session id, the password need
// not be stored, survives restarts, and matches what a ZooKeeper server on the same data would issue —
// so a client can reconnect across the two.

const superSecret = 0xb3415c00n;
const multiplier = 0x5deece66dn;
const mask48 = (1n << 48n) - 1n;

export const sessionPasswordBytes = 16;

/** java.util.Random's nextBytes over a seed, for `count` bytes. */
function javaRandomBytes(seed: bigint, count: number): Uint8Array {
  let state = (seed ^ multiplier) & mask48;
  const nextInt = (): number => {
    state = (state * multiplier + 0xbn) & mask48;
    return Number(BigInt.asIntN(32, state >> 16n));
  };
  const bytes = new Uint8Array(count);
  for (let i = 0; i < count; ) {
    let random = nextInt();
    for (let n = Math.min(count - i, 4); n-- > 0; random >>= 8) bytes[i++] = random & 0xff;
  }
  return bytes;
}

export function sessionPassword(sessionId: bigint): Uint8Array {
  return javaRandomBytes(BigInt.asIntN(64, sessionId ^ superSecret), sessionPasswordBytes);
}

export function passwordMatches(sessionId: bigint, password: Uint8Array): boolean {
  const expected = sessionPassword(sessionId);
  if (password.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected[i]! ^ password[i]!;
  return difference === 0;
}
