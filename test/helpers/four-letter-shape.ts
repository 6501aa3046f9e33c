// The structure of a four-letter word's reply, with the values that legitimately differ between two
// servers in the same state (ids, ports, times, counters, sizes, the version) replaced by their kind,
// so replies from Apache ZooKeeper and Meerkat can be compared line by line and field by field.
// Where ZooKeeper's order is a hash map's (connections, sessions, watches), groups are sorted.

/** A line with its values replaced: VERSION, DATE, 0xH (hex), /IP:PORT, D (a double), N (an integer). */
export function shapeOf(line: string): string {
  return line
    .replace(/3\.8\.\d+-[^,\n]*, built on [^\n]*? UTC/g, 'VERSION')
    .replace(/\b[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} [A-Z]{3,4} \d{4}\b/g, 'DATE')
    .replace(/0x[0-9a-f]+/g, '0xH')
    .replace(/\/\d{1,3}(\.\d{1,3}){3}:\d+/g, '/IP:PORT')
    .replace(/-?\b\d+\.\d+(E-?\d+)?\b/g, 'D')
    .replace(/-?\b\d+\b/g, 'N');
}

export function lines(text: string): string[] {
  return text.split('\n');
}

/**
 * Lines grouped under their heading (a line that does not start with a tab, with the tab-indented
 * lines after it), shaped, each group's members sorted, groups sorted: order-free, structure kept.
 */
export function groupShapes(text: string): string[] {
  const groups: string[][] = [];
  for (const line of lines(text)) {
    if (line.startsWith('\t') && groups.length > 0) groups[groups.length - 1]!.push(shapeOf(line));
    else groups.push([shapeOf(line)]);
  }
  return groups.map(([head, ...members]) => [head, ...members.sort()].join('\n')).sort();
}

/** Values that can be compared as kinds: an integer, a double, a hex number, anything else. */
export function kindOf(value: string): 'integer' | 'double' | 'hex' | 'text' {
  if (/^-?\d+$/.test(value)) return 'integer';
  if (/^-?\d+\.\d+(E-?\d+)?$/.test(value)) return 'double';
  if (/^0x[0-9a-f]+$/.test(value)) return 'hex';
  return 'text';
}

/** `key<separator>value` lines as an ordered map (lines without the separator are skipped). */
export function keyValues(text: string, separator: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of lines(text)) {
    const at = line.indexOf(separator);
    if (at > 0) map.set(line.slice(0, at), line.slice(at + separator.length));
  }
  return map;
}

export interface ExpirySection {
  /** From `Sets (buckets)/(members):`: how many members the section has. */
  members: number;
  /** Every member line, shaped, sorted. */
  memberShapes: string[];
  /** Every bucket line (`N expire at DATE:`) has that shape; ZooKeeper's empty buckets are ignored. */
  bucketShapes: string[];
}

/** One of `dump`'s expiry sections (sessions or connections), from its `Sets` line to `until`. */
export function expirySection(text: string, options: { from: string; until?: string }): ExpirySection {
  const start = text.indexOf(options.from);
  const end = options.until === undefined ? text.length : text.indexOf(options.until, start);
  const body = lines(text.slice(start, end)).filter((line) => line !== '');
  const counts = /Sets \((\d+)\)\/\((\d+)\):/.exec(body[0] ?? '');
  const buckets = body.slice(1).filter((line) => !line.startsWith('\t') && !line.startsWith('0 expire at '));
  return {
    members: Number(counts?.[2] ?? -1),
    memberShapes: body.filter((line) => line.startsWith('\t')).map(shapeOf).sort(),
    bucketShapes: [...new Set(buckets.map(shapeOf))],
  };
}
