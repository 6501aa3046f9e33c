// The memory the node store and child index grow into (node-store.ts, child-index.ts), supplied from
// outside while a snapshot loads: a first write to a fresh page costs a page fault (~12 µs on this
// VM), and runtime/prefaulted-memory.ts has another thread take those. Deterministic: no clock, no I/O.

/**
 * Where the store's large memory comes from: arena chunks and the columns' buffers. Either may answer
 * undefined, and the store allocates its own. runtime/ hands out memory another thread pages in, so a
 * restart does not take a page fault per 4 KiB on the loading thread.
 */
export interface TreeMemory {
  /** A chunk of arenaChunkBytes, any contents. */
  chunk(): Uint8Array | undefined;
  /**
   * A zero-filled buffer of `bytes` for a column, of which about `likelyBytes` are expected to be used
   * (the rest is a margin: it need not be paged in). Another thread may still be touching its pages.
   */
  column(bytes: number, likelyBytes: number): ArrayBufferLike | undefined;
}

/**
 * A column of `length` elements (about `likely` of them to be used) from `memory`, or allocated here,
 * holding `from`'s values first.
 */
export function grownColumn<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(
  from: T, length: number, make: { new (buffer: ArrayBufferLike): T; new (length: number): T; BYTES_PER_ELEMENT: number },
  memory: TreeMemory | undefined, likely: number,
): T {
  const buffer = memory?.column(length * make.BYTES_PER_ELEMENT, Math.min(length, likely) * make.BYTES_PER_ELEMENT);
  const column = buffer === undefined ? new make(length) : new make(buffer);
  column.set(from as never);
  return column;
}
