// The transaction builder behind `zk.transaction()`: collects create / delete / setData / check ops
// and commits them as one multi, which the server applies all-or-nothing. A failed transaction
// rejects with the typed error of the op that failed (its path in `error.path`); nothing was applied.

import { CreateMode, OpCode, type MultiResult, type MultiWriteOp, type Response } from '../proto/index.js';
import { validatePath } from './connect-string.js';
import { BadArgumentsError, errorForCode, ZooKeeperSystemError } from './errors.js';
import { toNodeData, type Data } from './data-bytes.js';
import { Acls, type CallOptions, type CreateOptions, type TransactionOpResult } from './types.js';

/** Builds the create request for a mode: create2, createContainer or createTTL as the mode needs. */
export function createRequest(path: string, data: Data | null | undefined, options: CreateOptions): MultiWriteOp {
  const flags = CreateMode[options.mode ?? 'persistent'];
  if (flags === undefined) throw new BadArgumentsError({ path, cause: new Error(`unknown create mode ${String(options.mode)}`) });
  validatePath(path, { sequential: flags === CreateMode.persistentSequential || flags === CreateMode.ephemeralSequential || flags === CreateMode.persistentSequentialWithTtl });
  const common = { path, data: toNodeData(data), acl: [...(options.acl ?? Acls.openUnsafe)], flags };
  const isTtl = flags === CreateMode.persistentWithTtl || flags === CreateMode.persistentSequentialWithTtl;
  if (isTtl) {
    if (options.ttlMs === undefined || !Number.isInteger(options.ttlMs) || options.ttlMs <= 0) {
      throw new BadArgumentsError({ path, cause: new Error('TTL modes need a positive integer ttlMs') });
    }
    return { type: OpCode.createTTL, ...common, ttl: options.ttlMs };
  }
  if (options.ttlMs !== undefined) throw new BadArgumentsError({ path, cause: new Error('ttlMs is only for the TTL modes') });
  return { type: flags === CreateMode.container ? OpCode.createContainer : OpCode.create2, ...common };
}

/**
 * The results of a multi, or the error of the op that failed. ZooKeeper answers a failed multi with
 * an error result per op: 0 for ops before the failing one, its code, then RuntimeInconsistency.
 */
export function transactionResults(ops: readonly MultiWriteOp[], response: Response): TransactionOpResult[] {
  if (response.type !== OpCode.multi) throw new ZooKeeperSystemError({ cause: new Error('not a multi response') });
  const failedIndex = response.results.findIndex((result) => result.type === OpCode.error && result.err !== 0);
  if (failedIndex !== -1) {
    const failed = response.results[failedIndex] as Extract<MultiResult, { type: typeof OpCode.error }>;
    throw errorForCode(failed.err, { path: ops[failedIndex]?.path });
  }
  return response.results.map((result): TransactionOpResult => {
    switch (result.type) {
      case OpCode.create:
      case OpCode.create2:
        return { type: 'create', path: result.path };
      case OpCode.setData:
        return { type: 'setData', stat: result.stat };
      case OpCode.delete:
        return { type: 'delete' };
      case OpCode.check:
        return { type: 'check' };
      default:
        throw new ZooKeeperSystemError({ cause: new Error(`unexpected multi result type ${result.type}`) });
    }
  });
}

export class Transaction {
  private readonly ops: MultiWriteOp[] = [];

  constructor(private readonly commitOps: (ops: MultiWriteOp[], options: CallOptions) => Promise<TransactionOpResult[]>) {}

  create(path: string, data?: Data | null, options: Omit<CreateOptions, keyof CallOptions> = {}): this {
    this.ops.push(createRequest(path, data, options));
    return this;
  }

  /** version -1 (the default) deletes whatever the version. */
  delete(path: string, version = -1): this {
    validatePath(path);
    this.ops.push({ type: OpCode.delete, path, version });
    return this;
  }

  setData(path: string, data: Data | null, version = -1): this {
    validatePath(path);
    this.ops.push({ type: OpCode.setData, path, data: toNodeData(data), version });
    return this;
  }

  /** Fails the transaction unless the node exists with this version. */
  check(path: string, version: number): this {
    validatePath(path);
    this.ops.push({ type: OpCode.check, path, version });
    return this;
  }

  get size(): number {
    return this.ops.length;
  }

  /** Sends the ops as one multi. Never retried: a lost connection leaves the outcome to be checked. */
  commit(options: CallOptions = {}): Promise<TransactionOpResult[]> {
    return this.commitOps([...this.ops], options);
  }
}
