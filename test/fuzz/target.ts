// A fuzz target: a named fast-check property with the run count CI gives it. `open` builds the
// property and anything it needs (a running server, generated files); `close` releases it. The same
// targets run bounded under `npm test` (fuzz.test.ts) and for a time budget under `npm run fuzz`
// (scripts/fuzz.mjs, through runTarget).

import fc from 'fast-check';

export interface OpenTarget {
  /** Argument tuples differ per target; the runner only checks and reports them. */
  property: fc.IRawProperty<unknown>;
  close(): Promise<void>;
}

export interface FuzzTarget {
  readonly name: string;
  /** What must hold, in one sentence (printed by `npm run fuzz -- --list`). */
  readonly claim: string;
  /** Runs under `npm test`. */
  readonly ciRuns: number;
  open(): Promise<OpenTarget>;
}

export interface RunOptions {
  numRuns: number;
  seed?: number;
  /** fast-check's replay path of a counterexample (printed on failure). */
  path?: string;
  /** Stop (successfully) after this long, whatever numRuns says. */
  timeLimitMs?: number;
}

export interface RunOutcome {
  target: string;
  seed: number;
  runs: number;
  failed: boolean;
  /** fast-check's report (counterexample, seed, path, error) on failure; '' on success. */
  report: string;
  /** The command that replays the failure. */
  replay: string;
}

export async function runTarget(target: FuzzTarget, options: RunOptions): Promise<RunOutcome> {
  const opened = await target.open();
  try {
    const details = await fc.check(opened.property, {
      numRuns: options.numRuns,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.path === undefined ? {} : { path: options.path }),
      ...(options.timeLimitMs === undefined ? {} : { plugins: [fc.interruptAfterTimeLimit(options.timeLimitMs)] }),
    });
    const replay = `npm run fuzz -- --target ${target.name} --seed ${details.seed}` +
      (details.counterexamplePath === null ? '' : ` --path ${details.counterexamplePath}`);
    return {
      target: target.name, seed: details.seed, runs: details.numRuns, failed: details.failed,
      report: details.failed ? `${fc.defaultReportMessage(details) ?? ''}\n${errorText(details.errorInstance)}` : '', replay,
    };
  } finally {
    await opened.close();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : `thrown: ${String(error)}`;
}

/** A synchronous property with nothing to release. */
export function pureTarget(fields: { name: string; claim: string; ciRuns: number; property: () => OpenTarget['property'] }): FuzzTarget {
  return { ...fields, open: async () => ({ property: fields.property(), close: async () => {} }) };
}
