// Assertions for programmer errors. They stay on in production: a replica that keeps going after an
// invariant breaks spreads corruption, so a broken invariant crashes the process loudly.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * Throws an AssertionError. For hot paths: `if (!ok) assertionFailed(`... ${detail}`)` builds its
 * message only on failure, where `assert(ok, `... ${detail}`)` builds it on every call (a template
 * string per znode linked cost ~90 MB of garbage loading 10^6 znodes).
 */
export function assertionFailed(message: string): never {
  throw new AssertionError(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
