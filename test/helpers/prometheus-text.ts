// A strict reader of Prometheus' text exposition format (version 0.0.4), for tests that scrape
// /metrics: `# HELP` and `# TYPE` lines, then samples `name{label="value",...} value`. It throws on
// anything a Prometheus server would refuse: a bad metric or label name, a bad escape, a value that
// is not a float, a sample outside its family, a family typed twice, a histogram whose buckets are
// not cumulative or do not end at +Inf.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** As Prometheus reads a value (Go's strconv.ParseFloat): `NaN` and `Inf` in any case (prom-client writes `Nan`). */
function parseValue(text: string, line: string): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad sample value "${text}" in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    const equals = text.indexOf('=', at);
    const name = text.slice(at, equals);
    if (equals < 0 || !labelName.test(name) || text[equals + 1] !== '"') throw new Error(`bad label in: ${line}`);
    let value = '';
    let index = equals + 2;
    for (; text[index] !== '"'; index++) {
      if (index >= text.length) throw new Error(`unterminated label value in: ${line}`);
      if (text[index] === '\\') {
        const escaped = text[++index];
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else throw new Error(`bad escape in: ${line}`);
      } else {
        value += text[index];
      }
    }
    labels[name] = value;
    at = index + 1;
    if (text[at] === ',') at++;
    else if (at < text.length) throw new Error(`bad label separator in: ${line}`);
  }
  return labels;
}

/** The family a sample belongs to: its own name, or a histogram's or summary's with the suffix removed. */
function familyOf(name: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const own = families.get(name);
  if (own !== undefined) return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const family = name.endsWith(suffix) ? families.get(name.slice(0, -suffix.length)) : undefined;
    if (family !== undefined && (family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket'))) return family;
  }
  return undefined;
}

function checkHistogram(family: MetricFamily): void {
  const buckets = family.samples.filter((sample) => sample.name === `${family.name}_bucket`);
  const series = new Map<string, Sample[]>();
  for (const bucket of buckets) {
    const { le, ...rest } = bucket.labels;
    if (le === undefined) throw new Error(`${family.name}: bucket without le`);
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), bucket]);
  }
  for (const [key, list] of series) {
    let previous = -1;
    for (const bucket of list) {
      if (bucket.value < previous) throw new Error(`${family.name}${key}: buckets are not cumulative`);
      previous = bucket.value;
    }
    const last = list[list.length - 1]!;
    if (last.labels.le !== '+Inf') throw new Error(`${family.name}${key}: the last bucket is not +Inf`);
    const count = family.samples.find((sample) => sample.name === `${family.name}_count` && JSON.stringify(sample.labels) === key);
    if (count?.value !== last.value) throw new Error(`${family.name}${key}: _count differs from the +Inf bucket`);
  }
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment !== null) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      if (!metricName.test(name)) throw new Error(`bad metric name in: ${line}`);
      const family = families.get(name) ?? { name, type: 'untyped' as MetricType, help: '', samples: [] };
      families.set(name, family);
      if (kind === 'HELP') family.help = rest;
      else {
        if (!types.has(rest as MetricType)) throw new Error(`bad type in: ${line}`);
        if (family.samples.length > 0 || family.type !== 'untyped') throw new Error(`${name} typed twice or after its samples`);
        family.type = rest as MetricType;
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (sample === null) throw new Error(`bad sample line: ${line}`);
    const [, name, labels, value] = sample as unknown as [string, string, string | undefined, string];
    const family = familyOf(name, families);
    if (family === undefined) throw new Error(`sample outside any family: ${line}`);
    family.samples.push({ name, labels: labels === undefined ? {} : parseLabels(labels, line), value: parseValue(value, line) });
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}
