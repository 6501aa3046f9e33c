// `meerkat start`: runs one server in the foreground with the embedded default configuration, a
// zoo.cfg (--config), and flags on top. Logs to stdout; SIGINT/SIGTERM close it cleanly.

import type { Command } from 'commander';
import { type ServerConfig, defaultConfig } from '../server/index.js';
import { readZooCfg, startServer, validateConfig } from '../runtime/index.js';

interface StartFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  config?: string;
  tickTime?: string;
  logLevel: string;
}

function integerFlag(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${name} expects a non-negative integer, got "${value}"`);
  return Number(value);
}

export function configFromFlags(flags: StartFlags): ServerConfig {
  const config = flags.config === undefined ? defaultConfig() : readZooCfg(flags.config);
  if (flags.host !== undefined) config.host = flags.host;
  if (flags.port !== undefined) config.port = integerFlag('port', flags.port);
  if (flags.dataDir !== undefined) {
    config.dataDir = flags.dataDir;
    config.dataLogDir = flags.dataDir;
  }
  if (flags.tickTime !== undefined) {
    const tickTimeMs = integerFlag('tick-time', flags.tickTime);
    // Session bounds follow tickTime unless the file set them explicitly.
    if (config.minSessionTimeoutMs === config.tickTimeMs * 2) config.minSessionTimeoutMs = tickTimeMs * 2;
    if (config.maxSessionTimeoutMs === config.tickTimeMs * 20) config.maxSessionTimeoutMs = tickTimeMs * 20;
    config.tickTimeMs = tickTimeMs;
  }
  validateConfig(config);
  return config;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run a server in the foreground (an ensemble member when zoo.cfg lists server.N lines)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'client port (default 2181)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--config <file>', "ZooKeeper zoo.cfg to read; flags override it")
    .option('--tick-time <ms>', 'tick time in milliseconds (default 2000)')
    .option('--log-level <level>', 'log level: trace, debug, info, warn, error', 'info')
    .action(async (flags: StartFlags) => {
      const config = configFromFlags(flags);
      const server = await startServer({ config, logLevel: flags.logLevel });
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        console.log(JSON.stringify({ msg: `received ${signal}, stopping` }));
        server.close().then(() => process.exit(0), (error: unknown) => {
          console.error(error);
          process.exit(1);
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
