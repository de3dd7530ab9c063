// `synack serve [FILE…] [--port N] [--host H]`: the web UI on 127.0.0.1 (another interface only
// when --host says so). A small static server: the built UI from web/dist, the list of the files
// given on the command line (/api/files) and their bytes by index (/files/N). The analysis runs
// in the browser's worker with the same core as the CLI; nothing is analysed here. Prints the URL
// with a per-run token (as Jupyter does: other local users cannot read the captures), opens nothing
// by itself. Only loopback Host names are answered (DNS rebinding), with CSP and no framing.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { timeWaitSeconds } from './conn-pick.js';
import { FileFault, formatFault } from './errors.js';
import { TAP_HELP, tapOption } from './tracking-options.js';
import { exitOnUsageError } from './usage-failure.js';

export interface ServedFile {
  index: number;
  name: string;
  size: number;
}

interface ServeCliOptions {
  port?: string;
  host?: string;
  timeWait?: string;
  msl?: string;
  tap?: string;
}

const DEFAULT_PORT = 9293; // RFC 9293
const PORT_TRIES = 20;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** web/dist beside the package root (the CLI runs from dist/src/cli or src/cli). */
export function webRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'web', 'dist');
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), 'web', 'dist');
    dir = up;
  }
}

export interface ServeOptions {
  files: string[];
  root?: string;
  /** TIME_WAIT seconds the UI analyses with (--time-wait; default 60). */
  timeWaitS?: number;
  /** Where the captures were taken (--tap; default auto): the UI analyses with it. */
  tap?: string;
  /** The per-run secret every request must carry (?token=, then the cookie; or `Authorization: token …`). */
  token: string;
  /** The port the server listens on, once known (the Host header must name it). */
  port: () => number;
  /** The address listened on (default 127.0.0.1): any IP literal is a fine Host unless it is loopback. */
  listenHost?: string;
}

/** What every response carries: no framing, no sniffing, no referrer, scripts only from here. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // The Vite build: module scripts and a module worker from 'self', style attributes (React) and
  // the data: favicon; fetches only to this origin; nothing may frame the page.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; manifest-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The cookie holding the token: per port, since browsers share cookies across a host's ports. */
export function tokenCookieName(port: number): string {
  return `synack-token-${port}`;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Whether the Host header names this server. Loopback names only (DNS rebinding: a page of
 * evil.example whose name resolves to 127.0.0.1 sends `Host: evil.example`); when --host exposes
 * another address, IP literals too (a rebinding attack needs a name).
 */
function hostAllowed(header: string | undefined, port: number, listenHost: string): boolean {
  if (header === undefined) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+):(\d+)$/i.exec(header.trim().toLowerCase());
  if (!m || Number(m[2]) !== port) return false;
  const name = m[1]!;
  if (name === '127.0.0.1' || name === 'localhost' || name === '[::1]') return true;
  if (isLoopback(listenHost)) return false;
  return isIP(name.replace(/^\[|\]$/g, '')) !== 0;
}

/** The request path, percent-decoded and checked; null when malformed or reaching outside (`..`). */
function requestPath(raw: string): { path: string; query: URLSearchParams } | null {
  // Origin-form only (RFC 9112 §3.2.1): a path from the root; no absolute-form, no `*`.
  if (!raw.startsWith('/') || raw.startsWith('//')) return null;
  const q = raw.indexOf('?');
  const encoded = q < 0 ? raw : raw.slice(0, q);
  let path: string;
  let query: URLSearchParams;
  try {
    path = decodeURIComponent(encoded);
    query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  } catch {
    return null; // `/%`, `/%E0%A4%A`: not percent-encoded UTF-8
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  for (const seg of path.split('/')) if (seg === '..' || seg === '.') return null;
  return { path, query };
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token the request carries, from the query, the Authorization header or the cookie. */
function carriedToken(req: IncomingMessage, query: URLSearchParams, port: number): string | null {
  const q = query.get('token');
  if (q !== null) return q;
  const auth = /^token\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (auth) return auth[1]!;
  const name = tokenCookieName(port);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * The request handler: static UI, the file list, the files' bytes; GET and HEAD only. Every request
 * must name this server in Host (421 otherwise), have a well-formed path (400) and carry the token
 * (403); a token given in the query is kept in a cookie for the page's own requests.
 */
export function serveHandler(opts: ServeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const root = resolve(opts.root ?? webRoot());
  const files = opts.files.map((f) => resolve(f));
  const listenHost = opts.listenHost ?? '127.0.0.1';
  const listing = (): ServedFile[] =>
    files.map((f, index) => ({ index, name: basename(f), size: existsSync(f) ? statSync(f).size : 0 }));
  return (req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    res.setHeader('cache-control', 'no-store');
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      const port = opts.port();
      if (!hostAllowed(req.headers.host, port, listenHost)) {
        send(421, `this server answers to 127.0.0.1:${port}, localhost:${port} or [::1]:${port} only\n`);
        return;
      }
      const parsed = requestPath(req.url ?? '');
      if (parsed === null) {
        send(400, 'malformed request path\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' });
        res.end();
        return;
      }
      const given = carriedToken(req, parsed.query, port);
      if (given === null || !sameSecret(given, opts.token)) {
        send(403, 'open the URL synack serve printed (with its ?token=…)\n');
        return;
      }
      if (parsed.query.has('token'))
        res.setHeader(
          'set-cookie',
          `${tokenCookieName(port)}=${opts.token}; HttpOnly; SameSite=Strict; Path=/`,
        );
      serveAllowed(parsed.path, req, res, send);
    } catch (err) {
      // A failure serving one request is answered and logged; the server lives on.
      process.stderr.write(`synack serve: ${req.method} ${req.url}: ${(err as Error).message}\n`);
      if (!res.headersSent) send(500, 'internal error\n');
      else res.destroy();
    }
  };

  function serveAllowed(
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
    send: (status: number, body: string, type?: string) => void,
  ): void {
    if (path === '/api/files') {
      send(
        200,
        JSON.stringify({ files: listing(), timeWait: opts.timeWaitS ?? 60, tap: opts.tap ?? 'auto' }),
        'application/json',
      );
      return;
    }
    const m = /^\/files\/(\d+)$/.exec(path);
    if (m) {
      const file = files[Number(m[1])];
      if (file === undefined || !existsSync(file) || !statSync(file).isFile()) {
        send(404, 'no such file\n');
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(statSync(file).size),
      });
      if (req.method === 'HEAD') res.end();
      else
        createReadStream(file)
          .on('error', () => res.destroy())
          .pipe(res);
      return;
    }
    // Static UI; anything else is the page itself (the URL's hash carries the state). A symlink
    // inside the root that leads outside it is not followed.
    const index = join(root, 'index.html');
    let target = resolve(root, `.${path}`);
    if (!insideRoot(target) || !existsSync(target) || statSync(target).isDirectory()) target = index;
    if (!existsSync(target)) {
      send(500, 'the web UI is not built: run `npm run build` in the repository\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
      'cache-control': target === index ? 'no-store' : 'max-age=3600',
    });
    if (req.method === 'HEAD') res.end();
    else
      createReadStream(target)
        .on('error', () => res.destroy())
        .pipe(res);
  }

  function insideRoot(target: string): boolean {
    if (!target.startsWith(root + sep)) return false;
    try {
      return realpathSync(target).startsWith(realpathSync(root) + sep);
    } catch {
      return false;
    }
  }
}

/** Timeouts against slow clients (slowloris): all headers within headersMs, the request within requestMs. */
export interface ServeTimeouts {
  headersMs: number;
  requestMs: number;
  /** How often Node checks them. */
  checkMs: number;
}

const TIMEOUTS: ServeTimeouts = { headersMs: 10_000, requestMs: 30_000, checkMs: 1_000 };

/** The HTTP server of `synack serve` around serveHandler, with timeouts against slow clients. */
export function createServeServer(opts: ServeOptions, timeouts: ServeTimeouts = TIMEOUTS): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: timeouts.checkMs,
      maxHeaderSize: 16 * 1024,
    },
    serveHandler(opts),
  );
  server.keepAliveTimeout = 5_000;
  // CONNECT never reaches the handler: answered here, as every other method but GET and HEAD.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const headers = Object.entries(SECURITY_HEADERS)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.on('error', () => socket.destroy());
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD\r\n${headers}content-length: 0\r\nconnection: close\r\n\r\n`,
    );
  });
  return server;
}

/** A fresh random token (192 bits, hex). */
export function newToken(): string {
  return randomBytes(24).toString('hex');
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      fail(err);
    };
    const onListening = () => {
      server.off('error', onError);
      const a = server.address();
      ok(typeof a === 'object' && a !== null ? a.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('the web UI on 127.0.0.1: connection list, ladders, explanations, host view')
    .argument('[files...]', 'pcap or pcapng files (gzip allowed) listed in the UI')
    .option('--port <N>', `TCP port (default ${DEFAULT_PORT}, or the next free one; 0: any free port)`)
    .option('--host <H>', 'address to listen on (default 127.0.0.1; say 0.0.0.0 to expose it)')
    .option('--time-wait <S>', 'TIME_WAIT duration in seconds the UI analyses with (default 60)')
    .option('--msl <M>', 'MSL in seconds: TIME_WAIT lasts 2M')
    .option('--tap <where>', `${TAP_HELP}; the UI can change it`)
    .action(async (files: string[], opts: ServeCliOptions, cmd: Command) => {
      const host = opts.host ?? '127.0.0.1';
      const fixed = opts.port !== undefined;
      const port = fixed ? Number(opts.port) : DEFAULT_PORT;
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        cmd.error(`synack serve: --port takes a port number, not "${opts.port}"`, { exitCode: 1 });
      let timeWaitS = 60;
      let tap = 'auto';
      try {
        timeWaitS = timeWaitSeconds(opts);
        tap = tapOption(opts.tap);
      } catch (err) {
        exitOnUsageError(cmd, 'serve', err);
      }
      for (const f of files) {
        if (!existsSync(f) || !statSync(f).isFile()) {
          // The file-level fault line every command prints (src/cli/errors.ts).
          const what = existsSync(f) ? 'cannot read: not a regular file' : 'cannot open: no such file';
          process.stderr.write(`${formatFault(new FileFault(f, 0, what))}\n`);
          process.exit(2);
        }
      }
      const root = webRoot();
      if (!existsSync(join(root, 'index.html'))) {
        process.stderr.write(`synack: the web UI is not built (${root}): run \`npm run build\` first\n`);
        process.exit(2);
      }
      const token = newToken();
      let bound = -1;
      const server = createServeServer({
        files,
        root,
        timeWaitS,
        tap,
        token,
        port: () => bound,
        listenHost: host,
      });
      for (let i = 0; bound < 0; i++) {
        try {
          bound = await listen(server, port === 0 ? 0 : port + i, host);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE' && !fixed && i + 1 < PORT_TRIES) continue;
          process.stderr.write(
            `synack: cannot listen on ${host}:${port + i}: ${code === 'EADDRINUSE' ? 'address in use' : (err as Error).message}\n`,
          );
          process.exit(2);
        }
      }
      const shown = host.includes(':') ? `[${host}]` : host;
      // The one URL to open (parsed by scripts and tests: `http://HOST:PORT/?token=HEX`).
      process.stdout.write(`synack serve: http://${shown}:${bound}/?token=${token}\n`);
      if (files.length > 0)
        process.stdout.write(`${files.length} file${files.length === 1 ? '' : 's'}: ${files.join(', ')}\n`);
      process.stdout.write('Ctrl-C to stop\n');
      const stop = () => {
        server.close();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
