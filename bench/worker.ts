// A benchmark worker thread: runs the sessions it is given and posts back their merged histograms.

import { parentPort, workerData } from 'node:worker_threads';
import type { SessionOptions } from './load-session.js';
import { runSessions } from './runner.js';

const result = await runSessions(workerData as SessionOptions[]);
parentPort!.postMessage(result);
