// The admin HTTP server (ZooKeeper's AdminServer, on node:http): `GET <commandUrl>` lists the
// commands, `GET <commandUrl>/<name>` runs one and answers its JSON, `/livez` and `/readyz` answer
// orchestrators' probes, and `/metrics` (when a metrics registry is given) answers Prometheus.
// Only GET and HEAD are served. Commands marked needsAuth ask for ZooKeeper 3.9's credentials
// (`Authorization: digest user:password`), checked by the runtime's authorizer; the replies for
// missing, wrong and insufficient credentials are 3.9's (401, 401, 403). The server is bounded in
// connections, header bytes and request time (util/limits). This file is admin/'s one place with I/O.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { limits } from '../util/index.js';
import { type AdminContext, adminCommandNames, adminCommandNeedsAuth, runAdminCommand } from './admin-commands.js';
import { type JsonObject, writeJson } from './json-writer.js';

/** What the authorizer decided about a request's Authorization header. */
export type AdminAuthorization = 'allowed' | 'missing' | 'unauthenticated' | 'forbidden';

export interface AdminMetrics {
  readonly contentType: string;
  /** The registry's text exposition, collected now. */
  scrape(): Promise<string>;
}

export interface AdminServerOptions {
  context: AdminContext;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** ZooKeeper's admin.commandURL, `/commands` by default; null serves no commands. */
  commandUrl: string | null;
  authorize(authorization: string | undefined): AdminAuthorization;
  /** Ready to serve clients (`/readyz`): a standalone server is unless its log refused writes. */
  ready(): { ready: true } | { ready: false; reason: string };
  metrics?: AdminMetrics;
  /** Called with an error a command threw (it is answered 500). */
  onError(error: unknown, command: string): void;
}

const refusals: Record<Exclude<AdminAuthorization, 'allowed'>, { status: number; error: string }> = {
  missing: { status: 401, error: 'Auth info is missing for the command' },
  unauthenticated: { status: 401, error: 'Not authenticated' },
  forbidden: { status: 403, error: 'Not authorized' },
};

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

/** Sends a reply; to a HEAD request, its headers only. */
function send(exchange: { request: IncomingMessage; response: ServerResponse }, reply: Reply): void {
  const { request, response } = exchange;
  response.writeHead(reply.status, { 'Content-Type': reply.contentType, 'Content-Length': Buffer.byteLength(reply.body) });
  response.end(request.method === 'HEAD' ? undefined : reply.body);
}

const json = (status: number, body: JsonObject) => ({ status, contentType: 'application/json', body: writeJson(body) });

/** ZooKeeper's index page: one link per primary command name. */
function indexPage(commandUrl: string): string {
  return adminCommandNames.map((name) => `<a href="${commandUrl}/${name}">${name}</a>\n<br/>\n`).join('');
}

function decodedName(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

export class AdminServer {
  private constructor(private readonly server: Server, readonly host: string, readonly port: number) {}

  static async start(options: AdminServerOptions): Promise<AdminServer> {
    const server = createServer({ maxHeaderSize: limits.adminHeaderBytesMax, requestTimeout: limits.adminRequestTimeoutMs }, (request, response) => {
      AdminServer.handle(options, { request, response }).catch((error: unknown) => {
        options.onError(error, request.url ?? '');
        if (!response.headersSent) send({ request, response }, { status: 500, contentType: 'text/plain', body: 'Internal error\n' });
        else response.destroy();
      });
    });
    server.maxConnections = limits.adminConnectionsMax;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    return new AdminServer(server, address.address, address.port);
  }

  private static async handle(options: AdminServerOptions, exchange: { request: IncomingMessage; response: ServerResponse }): Promise<void> {
    const { request, response } = exchange;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      send(exchange, { status: 405, contentType: 'text/plain', body: 'Method Not Allowed\n' });
      return;
    }
    const path = new URL(request.url ?? '/', 'http://admin').pathname;
    const commandUrl = options.commandUrl?.replace(/\/+$/, '') ?? null;
    // The probes and /metrics first: a commandURL of "/" must not shadow them.
    if (path === '/livez') {
      send(exchange, json(200, { status: 'live' }));
    } else if (path === '/readyz') {
      const readiness = options.ready();
      send(exchange, readiness.ready ? json(200, { status: 'ready' }) : json(503, { status: 'not ready', reason: readiness.reason }));
    } else if (path === '/metrics' && options.metrics !== undefined) {
      send(exchange, { status: 200, contentType: options.metrics.contentType, body: await options.metrics.scrape() });
    } else if (commandUrl !== null && (path === commandUrl || path === `${commandUrl}/`)) {
      send(exchange, { status: 200, contentType: 'text/html', body: indexPage(commandUrl) });
    } else if (commandUrl !== null && path.startsWith(`${commandUrl}/`)) {
      const name = decodedName(path.slice(commandUrl.length + 1));
      if (name === null) send(exchange, { status: 400, contentType: 'text/plain', body: 'Bad command name\n' });
      else send(exchange, AdminServer.command(options, { name, authorization: request.headers.authorization }));
    } else {
      send(exchange, { status: 404, contentType: 'text/plain', body: 'Not Found\n' });
    }
  }

  private static command(options: AdminServerOptions, request: { name: string; authorization: string | undefined }): Reply {
    const { name } = request;
    if (adminCommandNeedsAuth(name)) {
      const decision = options.authorize(request.authorization);
      if (decision !== 'allowed') return json(refusals[decision].status, { command: name, error: refusals[decision].error });
    }
    try {
      return json(200, runAdminCommand(name, options.context));
    } catch (error) {
      options.onError(error, name);
      return json(500, { command: name, error: 'Internal error' });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
