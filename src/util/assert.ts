// Assertions for programmer errors. They stay on in production: a replica that keeps going after an
// invariant breaks spreads corruption, so a broken invariant crashes the process loudly.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
