// Public entry of bench/: the load generator behind `meerkat bench`.
export * from './histograms.js';
export * from './load-session.js';
export * from './runner.js';
export * from './workload.js';
export * from './suite.js';
