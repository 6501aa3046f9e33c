// A sequential model of ZooKeeper's data operations for the linearizability checker: a flat map of
// path → { data, version } (no parents, no children, no ACLs, no sequential or ephemeral nodes).
// Operations on different paths commute, so histories are checked one path at a time
// (P-compositionality). States are immutable: every write returns a new map.
//
// `applyZk` is the reference behaviour; `zkModel.step` accepts an output exactly when `applyZk`
// produces it (or any output, for an operation that never returned).

import type { Model, Operation } from './linearizability.js';

export interface Znode {
  data: string;
  version: number;
}

export type ZkState = ReadonlyMap<string, Znode>;

/** `expectedVersion` -1 matches any version, as in ZooKeeper. */
export type ZkInput =
  | { kind: 'create'; path: string; data: string }
  | { kind: 'setData'; path: string; data: string; expectedVersion: number }
  | { kind: 'delete'; path: string; expectedVersion: number }
  | { kind: 'getData'; path: string };

/** create and delete answer 'ok'; setData answers the new version; getData the node. */
export type ZkOutput = 'ok' | 'NodeExists' | 'NoNode' | 'BadVersion' | { version: number } | Znode;

export type ZkOperation = Operation<ZkInput, ZkOutput>;

const anyVersion = -1;

function withNode(state: ZkState, path: string, node: Znode | undefined): ZkState {
  const next = new Map(state);
  if (node === undefined) next.delete(path);
  else next.set(path, node);
  return next;
}

/** Runs one operation sequentially: the next state and the output a correct server gives. */
export function applyZk(state: ZkState, input: ZkInput): { state: ZkState; output: ZkOutput } {
  const node = state.get(input.path);
  switch (input.kind) {
    case 'create':
      if (node !== undefined) return { state, output: 'NodeExists' };
      return { state: withNode(state, input.path, { data: input.data, version: 0 }), output: 'ok' };
    case 'getData':
      return { state, output: node ?? 'NoNode' };
    case 'setData': {
      if (node === undefined) return { state, output: 'NoNode' };
      if (input.expectedVersion !== anyVersion && input.expectedVersion !== node.version) return { state, output: 'BadVersion' };
      const version = node.version + 1;
      return { state: withNode(state, input.path, { data: input.data, version }), output: { version } };
    }
    case 'delete':
      if (node === undefined) return { state, output: 'NoNode' };
      if (input.expectedVersion !== anyVersion && input.expectedVersion !== node.version) return { state, output: 'BadVersion' };
      return { state: withNode(state, input.path, undefined), output: 'ok' };
  }
}

export function sameZkOutput(a: ZkOutput, b: ZkOutput): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  const aData = 'data' in a ? a.data : undefined;
  const bData = 'data' in b ? b.data : undefined;
  return a.version === b.version && aData === bData;
}

function partitionByPath(history: readonly ZkOperation[]): ZkOperation[][] {
  const byPath = new Map<string, ZkOperation[]>();
  for (const operation of history) {
    const list = byPath.get(operation.input.path);
    if (list === undefined) byPath.set(operation.input.path, [operation]);
    else list.push(operation);
  }
  return [...byPath.values()];
}

function describeOutput(output: ZkOutput | undefined): string {
  if (output === undefined) return '?';
  if (typeof output === 'string') return output;
  return 'data' in output ? `${JSON.stringify(output.data)} v${output.version}` : `v${output.version}`;
}

function describeInput(input: ZkInput): string {
  switch (input.kind) {
    case 'create': return `create ${input.path} ${JSON.stringify(input.data)}`;
    case 'setData': return `setData ${input.path} ${JSON.stringify(input.data)} expect v${input.expectedVersion}`;
    case 'delete': return `delete ${input.path} expect v${input.expectedVersion}`;
    case 'getData': return `getData ${input.path}`;
  }
}

export const zkModel: Model<ZkState, ZkInput, ZkOutput> = {
  init: () => new Map(),
  step(state, input, output) {
    const applied = applyZk(state, input);
    if (output !== undefined && !sameZkOutput(applied.output, output)) return undefined;
    return applied.state;
  },
  key: (state) => [...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, node]) => `${path}=v${node.version}:${JSON.stringify(node.data)}`).join(' ') || '(empty)',
  partition: partitionByPath,
  describeOperation: (input, output) => `${describeInput(input)} -> ${describeOutput(output)}`,
};
