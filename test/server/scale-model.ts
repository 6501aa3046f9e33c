// A naive model of the znode tree, just precise enough for the at-scale differential sequence
// (scale-sequence.ts) to aim its operations: which paths exist, their versions, the parent's
// count of child creations (the next sequential suffix), ACLs as named kinds, and which session owns an ephemeral.
//
// The model only steers the generator; ZooKeeper is the reference. If the model drifts from
// ZooKeeper (a rule it does not know), later operations still run identically on both servers and
// are still compared — they just succeed less often. The test reports how often the model's
// prediction disagreed with ZooKeeper so drift is visible.
//
// Multi: operations are applied one by one with an undo log, and rolled back if any fails.

export type SessionName = 'main' | 'e1' | 'e2' | 'e3' | 'e4' | 'e5';

/** ACLs as kinds; `aclOf` in scale-sequence.ts turns a kind into the wire ACL. */
export type AclKind = 'open' | 'noAdmin' | 'readOnlyCarol' | 'carolOnly' | 'ip';

export const Perm = { read: 1, write: 2, create: 4, delete: 8, admin: 16 } as const;

/** Only the main session authenticates (as carol); the ephemeral sessions are anonymous. */
export function permsOf(acl: AclKind, session: SessionName): number {
  const isCarol = session === 'main';
  switch (acl) {
    case 'open':
    case 'ip':
      return 31;
    case 'noAdmin':
      return 15;
    case 'readOnlyCarol':
      return isCarol ? 31 : Perm.read;
    case 'carolOnly':
      return isCarol ? 31 : 0;
  }
}

export interface ModelNode {
  readonly path: string;
  readonly children: Set<string>;
  version: number;
  /**
   * Child creations: the next sequential suffix. (The cversion clients see also counts deletions;
   * a sequential child's suffix does not: create a, delete a, create b- gives b-0000000001.)
   */
  childCreations: number;
  aversion: number;
  acl: AclKind;
  /** The owning session of an ephemeral node; null for every other kind. */
  readonly owner: SessionName | null;
}

export type CreateKind = 'persistent' | 'ephemeral' | 'container' | 'ttl';

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === 0 ? '/' : path.slice(0, slash);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export class TreeModel {
  private readonly nodes = new Map<string, ModelNode>();
  /** Paths in a dense array (swap-remove) so a uniform random pick is O(1). */
  private readonly paths: string[] = [];
  private readonly slot = new Map<string, number>();
  private readonly ephemeralsBySession = new Map<SessionName, Set<string>>();
  private undoLog: (() => void)[] | undefined;

  /** `root` is where the generator works; it is created by the first step and never deleted. */
  constructor(readonly root: string) {}

  get size(): number {
    return this.paths.length;
  }

  get(path: string): ModelNode | undefined {
    return this.nodes.get(path);
  }

  pathAt(index: number): string {
    return this.paths[index]!;
  }

  /** Creates `path` (sequential: `path` + ten-digit suffix) and returns the created path, or undefined if it would fail. */
  create(session: SessionName, path: string, options: { kind: CreateKind; sequential: boolean; acl: AclKind }): string | undefined {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parentPath !== '/' && parent === undefined) return undefined;
    if (parent !== undefined && (parent.owner !== null || (permsOf(parent.acl, session) & Perm.create) === 0)) return undefined;
    const created = options.sequential ? `${path}${String(parent?.childCreations ?? 0).padStart(10, '0')}` : path;
    if (this.nodes.has(created)) return undefined;
    const owner = options.kind === 'ephemeral' ? session : null;
    this.add({ path: created, children: new Set(), version: 0, childCreations: 0, aversion: 0, acl: options.acl, owner });
    return created;
  }

  delete(session: SessionName, path: string, version: number): boolean {
    const node = this.nodes.get(path);
    if (node === undefined || path === this.root || node.children.size > 0) return false;
    const parent = this.nodes.get(parentOf(path));
    if (parent !== undefined && (permsOf(parent.acl, session) & Perm.delete) === 0) return false;
    if (version !== -1 && version !== node.version) return false;
    this.remove(node);
    return true;
  }

  setData(session: SessionName, path: string, version: number): boolean {
    const node = this.nodes.get(path);
    if (node === undefined || (permsOf(node.acl, session) & Perm.write) === 0) return false;
    if (version !== -1 && version !== node.version) return false;
    this.change(node, 'version', node.version + 1);
    return true;
  }

  setAcl(session: SessionName, path: string, options: { acl: AclKind; version: number }): boolean {
    const node = this.nodes.get(path);
    if (node === undefined || (permsOf(node.acl, session) & Perm.admin) === 0) return false;
    if (options.version !== -1 && options.version !== node.aversion) return false;
    this.change(node, 'aversion', node.aversion + 1);
    this.change(node, 'acl', options.acl);
    return true;
  }

  check(session: SessionName, path: string, version: number): boolean {
    const node = this.nodes.get(path);
    if (node === undefined || (permsOf(node.acl, session) & Perm.read) === 0) return false;
    return version === -1 || version === node.version;
  }

  /** Deletes every ephemeral the session owns, as closeSession does. */
  closeSession(session: SessionName): void {
    for (const path of [...(this.ephemeralsBySession.get(session) ?? [])]) this.remove(this.nodes.get(path)!);
  }

  /** Runs `ops` atomically: applies them in order, rolls back and returns false if one fails. */
  atomically(ops: readonly (() => boolean)[]): boolean {
    this.undoLog = [];
    let ok = true;
    for (const op of ops) {
      if (!op()) {
        ok = false;
        break;
      }
    }
    const undo = this.undoLog;
    this.undoLog = undefined;
    if (!ok) for (const step of undo.reverse()) step();
    return ok;
  }

  private add(node: ModelNode): void {
    const parent = this.nodes.get(parentOf(node.path));
    this.link(node);
    if (parent !== undefined) {
      parent.childCreations++;
    }
    this.undoLog?.push(() => {
      this.unlink(node);
      if (parent !== undefined) parent.childCreations--;
    });
  }

  private remove(node: ModelNode): void {
    this.unlink(node);
    this.undoLog?.push(() => {
      this.link(node);
    });
  }

  private link(node: ModelNode): void {
    this.nodes.get(parentOf(node.path))?.children.add(nameOf(node.path));
    this.nodes.set(node.path, node);
    this.slot.set(node.path, this.paths.length);
    this.paths.push(node.path);
    if (node.owner !== null) this.owned(node.owner).add(node.path);
  }

  /** Takes a node out of every index and out of its parent's children. */
  private unlink(node: ModelNode): void {
    this.nodes.get(parentOf(node.path))?.children.delete(nameOf(node.path));
    this.nodes.delete(node.path);
    const index = this.slot.get(node.path)!;
    const last = this.paths.pop()!;
    if (last !== node.path) {
      this.paths[index] = last;
      this.slot.set(last, index);
    }
    this.slot.delete(node.path);
    if (node.owner !== null) this.owned(node.owner).delete(node.path);
  }

  private change<K extends 'version' | 'aversion' | 'acl'>(node: ModelNode, field: K, value: ModelNode[K]): void {
    const before = node[field];
    node[field] = value;
    this.undoLog?.push(() => {
      node[field] = before;
    });
  }

  private owned(session: SessionName): Set<string> {
    let set = this.ephemeralsBySession.get(session);
    if (set === undefined) this.ephemeralsBySession.set(session, (set = new Set()));
    return set;
  }
}
