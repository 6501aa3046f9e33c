// The final stage for requests that do not change the tree (ZooKeeper's FinalRequestProcessor read
// paths): exists, getData, getChildren(2), getACL, getAllChildrenNumber, getEphemerals, multiRead,
// whoAmI, and watch management. Each returns an error code or a response; watches are registered
// on the connection, which is the watcher identity, as in ZooKeeper.

import {
  type Acl, AddWatchMode, ErrorCode, EventType, type MultiReadOp, type MultiResult, OpCode, Perms, type Request,
  type Response, type SetWatchesRequest,
} from '../proto/index.js';
import { type DataTree, type WatchEvent, checkPermission } from '../tree/index.js';
import type { ClientConnection } from './client-connection.js';

export type ReadOutcome = { err: number; response?: Response };

export interface ReadContext {
  tree: DataTree<ClientConnection>;
  connection: ClientConnection;
  superDigest: string | null;
  /** Sends a watch notification to the connection now (used by setWatches). */
  notify: (connection: ClientConnection, event: WatchEvent) => void;
}

const noNode: ReadOutcome = { err: ErrorCode.noNode };
const noAuth: ReadOutcome = { err: ErrorCode.noAuth };

function allowed(context: ReadContext, acl: Acl[], perm: number): boolean {
  return checkPermission({ acl, perm, authIds: context.connection.authIds, superDigest: context.superDigest });
}

/** Digest ids are shown as `user:x` to callers without ADMIN, as ZooKeeper 3.8 does. */
function maskDigests(acl: Acl[]): Acl[] {
  return acl.map((entry) =>
    entry.id.scheme === 'digest' ? { perms: entry.perms, id: { scheme: 'digest', id: entry.id.id.replace(/:.*/s, ':x') } } : entry,
  );
}

function readOne(request: Request, context: ReadContext): ReadOutcome {
  const { tree, connection } = context;
  switch (request.type) {
    case OpCode.exists: {
      // The one read ZooKeeper validates: NUL in the path (no other rule) is BADARGUMENTS.
      if (request.path.includes('\0')) return { err: ErrorCode.badArguments };
      const node = tree.getNode(request.path);
      if (request.watch) {
        if (node === undefined) tree.watches.addExistWatch(request.path, connection);
        else tree.watches.addDataWatch(request.path, connection);
      }
      return node === undefined ? noNode : { err: 0, response: { type: request.type, stat: tree.statOf(node) } };
    }
    case OpCode.getData: {
      const node = tree.getNode(request.path);
      if (node === undefined) return noNode;
      if (!allowed(context, node.acl, Perms.read)) return noAuth;
      if (request.watch) tree.watches.addDataWatch(request.path, connection);
      return { err: 0, response: { type: request.type, data: node.data, stat: tree.statOf(node) } };
    }
    case OpCode.getChildren:
    case OpCode.getChildren2: {
      const node = tree.getNode(request.path);
      if (node === undefined) return noNode;
      if (!allowed(context, node.acl, Perms.read)) return noAuth;
      if (request.watch) tree.watches.addChildWatch(request.path, connection);
      const children = [...node.children];
      return request.type === OpCode.getChildren
        ? { err: 0, response: { type: request.type, children } }
        : { err: 0, response: { type: request.type, children, stat: tree.statOf(node) } };
    }
    case OpCode.getACL: {
      const node = tree.getNode(request.path);
      if (node === undefined) return noNode;
      if (!allowed(context, node.acl, Perms.read | Perms.admin)) return noAuth;
      const acl = allowed(context, node.acl, Perms.admin) ? node.acl : maskDigests(node.acl);
      return { err: 0, response: { type: request.type, acl, stat: tree.statOf(node) } };
    }
    case OpCode.getAllChildrenNumber: {
      const node = tree.getNode(request.path);
      if (node === undefined) return noNode;
      if (!allowed(context, node.acl, Perms.read)) return noAuth;
      return { err: 0, response: { type: request.type, totalNumber: tree.getAllChildrenNumber(request.path) } };
    }
    case OpCode.getEphemerals: {
      const prefix = request.prefixPath;
      const ephemerals = [...tree.getEphemerals(connection.sessionId)].filter((path) => path.startsWith(prefix)).sort();
      return { err: 0, response: { type: request.type, ephemerals } };
    }
    case OpCode.sync:
      return { err: 0, response: { type: request.type, path: request.path } };
    case OpCode.whoAmI:
      return { err: 0, response: { type: request.type, clientInfo: whoAmI(connection) } };
    case OpCode.multiRead:
      return { err: 0, response: { type: request.type, results: request.ops.map((op) => readInMulti(op, context)) } };
    case OpCode.checkWatches:
    case OpCode.removeWatches: {
      const remove = request.type === OpCode.removeWatches;
      const found = remove
        ? tree.watches.removeWatches(request.path, request.watcherType, connection)
        : tree.watches.hasWatches(request.path, request.watcherType, connection);
      return found ? { err: 0, response: { type: request.type } } : { err: ErrorCode.noWatcher };
    }
    case OpCode.addWatch: {
      if (request.mode !== AddWatchMode.persistent && request.mode !== AddWatchMode.persistentRecursive) {
        return { err: ErrorCode.marshallingError };
      }
      tree.watches.addPersistentWatch(request.path, connection, request.mode === AddWatchMode.persistentRecursive);
      return { err: 0, response: { type: request.type } };
    }
    case OpCode.setWatches:
    case OpCode.setWatches2:
      setWatches(request, context);
      return { err: 0, response: { type: request.type } };
    default:
      return { err: ErrorCode.unimplemented };
  }
}

/** As ZooKeeper lists them: authenticated ids first, the connection's ip id last; digest users by name. */
function whoAmI(connection: ClientConnection): Array<{ authScheme: string; user: string }> {
  const ids = [...connection.authIds.filter((id) => id.scheme !== 'ip'), ...connection.authIds.filter((id) => id.scheme === 'ip')];
  return ids.map((id) => ({ authScheme: id.scheme, user: id.scheme === 'digest' ? id.id.replace(/:.*/s, '') : id.id }));
}

function readInMulti(op: MultiReadOp, context: ReadContext): MultiResult {
  const outcome = readOne({ ...op, watch: false }, context);
  if (outcome.err !== 0 || outcome.response === undefined) return { type: OpCode.error, err: outcome.err };
  const response = outcome.response;
  if (response.type === OpCode.getData) return { type: OpCode.getData, data: response.data, stat: response.stat };
  if (response.type === OpCode.getChildren) return { type: OpCode.getChildren, children: response.children };
  return { type: OpCode.error, err: ErrorCode.systemError };
}

/**
 * Re-registers a reconnecting client's watches. A watch whose node changed after relativeZxid (the
 * last zxid the client saw) fires at once instead, so nothing that happened while the client was away
 * is missed — ZooKeeper's DataTree.setWatches rules.
 */
function setWatches(request: SetWatchesRequest, context: ReadContext): void {
  const { tree, connection, notify } = context;
  const relativeZxid = request.relativeZxid;
  const zxid = tree.lastProcessedZxid;
  for (const path of request.dataWatches) {
    const node = tree.getNode(path);
    if (node === undefined) notify(connection, { type: EventType.nodeDeleted, path, zxid });
    else if (node.mzxid > relativeZxid) notify(connection, { type: EventType.nodeDataChanged, path, zxid });
    else tree.watches.addDataWatch(path, connection);
  }
  for (const path of request.existWatches) {
    if (tree.getNode(path) !== undefined) notify(connection, { type: EventType.nodeCreated, path, zxid });
    else tree.watches.addExistWatch(path, connection);
  }
  for (const path of request.childWatches) {
    const node = tree.getNode(path);
    if (node === undefined) notify(connection, { type: EventType.nodeDeleted, path, zxid });
    else if (node.pzxid > relativeZxid) notify(connection, { type: EventType.nodeChildrenChanged, path, zxid });
    else tree.watches.addChildWatch(path, connection);
  }
  for (const path of request.persistentWatches) tree.watches.addPersistentWatch(path, connection, false);
  for (const path of request.persistentRecursiveWatches) tree.watches.addPersistentWatch(path, connection, true);
}

export const readOpCodes: ReadonlySet<number> = new Set([
  OpCode.exists, OpCode.getData, OpCode.getChildren, OpCode.getChildren2, OpCode.getACL, OpCode.getAllChildrenNumber,
  OpCode.getEphemerals, OpCode.sync, OpCode.whoAmI, OpCode.multiRead, OpCode.checkWatches, OpCode.removeWatches,
  OpCode.addWatch, OpCode.setWatches, OpCode.setWatches2,
]);

export function performRead(request: Request, context: ReadContext): ReadOutcome {
  return readOne(request, context);
}

