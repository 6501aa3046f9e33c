// Tests only: a byte stream cut at given offsets, so a sans-I/O decoder can be fed any split of it
// (STYLE.md: decoders are tested byte by byte and in random chunks).

/** `bytes` cut at every offset in `cuts` (in any order, repeats ignored); empty pieces kept. */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(last, point));
    last = point;
  }
  chunks.push(bytes.subarray(last));
  return chunks;
}
