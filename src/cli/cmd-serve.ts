// `synack serve [FILE…] [--port N] [--host H]`: the web UI on 127.0.0.1 (another interface only
// when --host says so). A small static server: the built UI from web/dist, the list of the files
// given on the command line (/api/files) and their bytes by index (/files/N). The analysis runs
// in the browser's worker with the same core as the CLI; nothing is analysed here. Prints the URL,
// opens nothing by itself.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { timeWaitSeconds } from './conn-pick.js';
import { FileFault, formatFault } from './errors.js';
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
}

/** The request handler: static UI, the file list, the files' bytes. GET and HEAD only. */
export function serveHandler(opts: ServeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const root = resolve(opts.root ?? webRoot());
  const files = opts.files.map((f) => resolve(f));
  const listing = (): ServedFile[] =>
    files.map((f, index) => ({ index, name: basename(f), size: existsSync(f) ? statSync(f).size : 0 }));
  return (req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (path === '/api/files') {
      send(200, 'application/json', JSON.stringify({ files: listing(), timeWait: opts.timeWaitS ?? 60 }));
      return;
    }
    const m = /^\/files\/(\d+)$/.exec(path);
    if (m) {
      const file = files[Number(m[1])];
      if (file === undefined || !existsSync(file) || !statSync(file).isFile()) {
        send(404, 'text/plain; charset=utf-8', 'no such file\n');
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(statSync(file).size),
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') res.end();
      else
        createReadStream(file)
          .on('error', () => res.destroy())
          .pipe(res);
      return;
    }
    // Static UI; anything else is the page itself (the URL's hash carries the state).
    let target = resolve(root, `.${path}`);
    if (!target.startsWith(root + sep) || !existsSync(target) || statSync(target).isDirectory())
      target = join(root, 'index.html');
    if (!existsSync(target)) {
      send(
        500,
        'text/plain; charset=utf-8',
        'the web UI is not built: run `npm run build` in the repository\n',
      );
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
      'cache-control': target.endsWith('index.html') ? 'no-store' : 'max-age=3600',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(target).pipe(res);
  };
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
    .action(async (files: string[], opts: ServeCliOptions, cmd: Command) => {
      const host = opts.host ?? '127.0.0.1';
      const fixed = opts.port !== undefined;
      const port = fixed ? Number(opts.port) : DEFAULT_PORT;
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        cmd.error(`synack serve: --port takes a port number, not "${opts.port}"`, { exitCode: 1 });
      let timeWaitS = 60;
      try {
        timeWaitS = timeWaitSeconds(opts);
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
      const server = createServer(serveHandler({ files, root, timeWaitS }));
      let bound = -1;
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
      process.stdout.write(`synack serve: http://${shown}:${bound}/\n`);
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
