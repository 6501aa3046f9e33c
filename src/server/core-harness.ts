// Tests only: a ServerCore with one connected session on a transport that records the error code of
// every reply, and a "disk" that makes each batch durable at once. Shared by the core's unit tests.

import { JuteReader, type Request, readReplyHeader } from '../proto/index.js';
import { type ServerConfig, defaultConfig } from './config.js';
import { ServerCore } from './server-core.js';

export interface CoreHarness {
  core: ServerCore;
  /**
   * Sends requests on the session and makes what they prepared durable; with `pipelined`, all are
   * prepared before any is applied. Returns the error codes of the replies they got, in order.
   */
  send(requests: Request[], options?: { pipelined?: boolean }): number[];
}

export function coreHarness(config: Partial<ServerConfig> = {}): CoreHarness {
  let now = 1_000;
  const core = new ServerCore({ ...defaultConfig(), ...config }, { now: () => now++ });
  const replies: number[] = [];
  const transport = {
    send: (frame: Uint8Array) => {
      const header = readReplyHeader(new JuteReader(frame, 4));
      if (header.xid > 0) replies.push(header.err);
    },
    close: () => {},
    outputBytes: 0,
  };
  const connection = core.openConnection(transport, '127.0.0.1', 1);
  core.connect(connection, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
  let xid = 1;
  const flush = (): void => {
    const batch = core.takeUnpersisted();
    if (batch.length > 0) core.persisted(batch[batch.length - 1]!.header.zxid);
  };
  flush();
  return {
    core,
    send(requests, options = {}) {
      replies.length = 0;
      for (const request of requests) {
        core.request(connection, xid++, request);
        if (options.pipelined !== true) flush();
      }
      flush();
      return [...replies];
    },
  };
}
