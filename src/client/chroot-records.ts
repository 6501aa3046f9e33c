// Applies the chroot to whole records: every path a request carries gets the prefix on the way out,
// and every path a reply carries (created paths, sync, ephemerals) loses it on the way back. Watch
// event paths are handled where events are dispatched.

import { OpCode, type MultiResult, type Request, type Response } from '../proto/index.js';
import { isInChroot, prependChroot, stripChroot } from './connect-string.js';

/** The request as the server must see it. Requests without paths are returned as they are. */
export function requestToServer(chroot: string, request: Request): Request {
  if (chroot === '') return request;
  switch (request.type) {
    case OpCode.multi:
      return { ...request, ops: request.ops.map((op) => ({ ...op, path: prependChroot(chroot, op.path) })) };
    case OpCode.multiRead:
      return { ...request, ops: request.ops.map((op) => ({ ...op, path: prependChroot(chroot, op.path) })) };
    case OpCode.getEphemerals:
      return { ...request, prefixPath: prependChroot(chroot, request.prefixPath) };
    default:
      return 'path' in request ? { ...request, path: prependChroot(chroot, request.path) } : request;
  }
}

function multiResultToClient(chroot: string, result: MultiResult): MultiResult {
  return result.type === OpCode.create || result.type === OpCode.create2
    ? { ...result, path: stripChroot(chroot, result.path) }
    : result;
}

/** The response as the caller must see it: paths relative to the chroot. */
export function responseToClient(chroot: string, response: Response): Response {
  if (chroot === '') return response;
  switch (response.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
    case OpCode.sync:
      return { ...response, path: stripChroot(chroot, response.path) };
    case OpCode.multi:
    case OpCode.multiRead:
      return { ...response, results: response.results.map((result) => multiResultToClient(chroot, result)) };
    case OpCode.getEphemerals:
      // The server matches the prefix as a string, so "/app" also matches "/apple": keep the chroot's own.
      return {
        ...response,
        ephemerals: response.ephemerals.filter((path) => isInChroot(chroot, path)).map((path) => stripChroot(chroot, path)),
      };
    default:
      return response;
  }
}
