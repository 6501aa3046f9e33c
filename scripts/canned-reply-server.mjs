// A bare Node server speaking just enough of ZooKeeper's protocol to be a latency floor for
// `npm run bench:compare`: it answers the handshake, and every request at once with a canned reply
// (getData: a 100-byte value; anything else: NODEEXISTS, pings: OK). Prints its port on stdout.
import { createServer } from 'node:net';
import {
  ErrorCode, FrameDecoder, JuteReader, OpCode, emptyStat, encodeFrame, writeConnectResponse, writeReplyHeader, writeResponse,
} from '../dist/src/proto/index.js';

const value = Buffer.alloc(100, 7);
const server = createServer((socket) => {
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  let handshaken = false;
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => decoder.push(chunk, (payload) => {
    if (!handshaken) {
      handshaken = true;
      socket.write(encodeFrame((w) => writeConnectResponse(w, { protocolVersion: 0, timeOut: 30_000, sessionId: 1n, passwd: Buffer.alloc(16), readOnly: false })));
      return;
    }
    const reader = new JuteReader(payload);
    const xid = reader.int();
    const type = reader.int();
    socket.write(encodeFrame((w) => {
      const ok = type === OpCode.getData || type === OpCode.ping;
      writeReplyHeader(w, { xid, zxid: 1, err: ok ? 0 : ErrorCode.nodeExists });
      if (type === OpCode.getData) writeResponse(w, { type: OpCode.getData, data: value, stat: emptyStat() });
    }));
  }));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
