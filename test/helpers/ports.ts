// Free TCP ports on the loopback interface, for tests that must tell a child process (Apache
// ZooKeeper, a CLI) which port to use. The port is found by binding port 0 and releasing it, so
// another process could take it before the caller binds; on a test machine that race is rare, and
// callers that start a server retry on "address in use" rather than trusting the port blindly.

import { createServer } from 'node:net';

export const loopbackHost = '127.0.0.1';

/** Resolves to a TCP port that was free on 127.0.0.1 a moment ago. */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: loopbackHost, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('listening socket has no TCP address'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
