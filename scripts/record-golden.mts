// Records golden byte sequences from Apache ZooKeeper 3.8: runs the differential script through a
// recording proxy in front of a reference server and writes every frame, both directions, to
// test/golden/zookeeper-3.8-frames.json. A developer tool (needs the `zookeeper` Debian package);
// the proto golden test replays the committed file without ZooKeeper.
//   node --import tsx scripts/record-golden.mts

import { writeFileSync } from 'node:fs';
import { RecordingProxy } from '../test/helpers/recording-proxy.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { startReferenceZooKeeper } from '../test/helpers/reference-zookeeper.js';
import { differentialScript } from '../test/server/differential-script.js';

const zk = await startReferenceZooKeeper();
const proxy = await RecordingProxy.start({ targetHost: zk.host, targetPort: zk.port });
try {
  const clients = {
    a: await RawClient.connect({ host: proxy.host, port: proxy.port }),
    b: await RawClient.connect({ host: proxy.host, port: proxy.port }),
  };
  for (const step of differentialScript) {
    await clients[step.on].request(step.request);
    await clients.a.ping();
    await clients.b.ping();
  }
  await clients.b.close();
  await clients.a.close();
  const frames = proxy.frames().map((frame) => ({
    connection: frame.connection,
    direction: frame.direction,
    hex: Buffer.from(frame.payload).toString('hex'),
  }));
  writeFileSync('test/golden/zookeeper-3.8-frames.json', JSON.stringify({
    source: 'Apache ZooKeeper 3.8.0 (Debian zookeeper 3.8.0-11), recorded by scripts/record-golden.mts',
    frames,
  }, null, 1) + '\n');
  console.log(`recorded ${frames.length} frames`);
} finally {
  await proxy.close();
  await zk.stop();
}
