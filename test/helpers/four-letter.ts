// Four-letter words ("ruok", "srvr", "mntr", ...) over a plain TCP connection to a client port. The
// server answers and then closes the connection, so the reply is everything read until close.
// Bounded: a deadline for the whole exchange and a cap on reply size.

import { connect } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export interface FourLetterOptions {
  /** Deadline for connect + reply + close. Default 5000 ms. */
  timeoutMs?: number;
}

/** Replies larger than this are a broken server, not a big answer (mntr/cons are a few KiB). */
const replyBytesMax = 1024 * 1024;

/** Sends `word` and resolves to the server's reply, decoded as UTF-8. */
export function sendFourLetterWord(target: HostPort, word: string, options: FourLetterOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const socket = connect({ host: target.host, port: target.port });
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      const partial = Buffer.concat(chunks).toString('utf8');
      fail(new Error(`"${word}" to ${target.host}:${target.port}: no close within ${timeoutMs} ms (got ${JSON.stringify(partial)})`));
    }, timeoutMs);
    // write, not end: a half-close before the server has read the word may be taken as a hang-up.
    socket.on('connect', () => socket.write(word));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > replyBytesMax) fail(new Error(`"${word}" reply exceeds ${replyBytesMax} bytes`));
      else chunks.push(chunk);
    });
    socket.on('error', (error) => fail(new Error(`"${word}" to ${target.host}:${target.port}: ${error.message}`, { cause: error })));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
