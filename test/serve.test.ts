// Issue 14 items 1–2: `synack serve` under attack. Malformed paths get 400 and the server lives on;
// only loopback Host names are answered (DNS rebinding: 421); every request needs the run's token
// (403), given once in the URL and then kept in a cookie; path traversal in every spelling never
// leaves the UI's folder; methods other than GET/HEAD get 405; 1 000 concurrent requests all
// succeed; a slow client is cut off by the header timeout. After each probe a normal request is
// answered correctly.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServeServer, SECURITY_HEADERS, tokenCookieName } from '../src/cli/cmd-serve.js';
import { FIXTURES } from './helpers/paths.js';
import { synackArgv } from './helpers/synack-cli.js';
import { tempDir } from './helpers/temp-dir.js';

const tmp = tempDir('synack-f14-serve');
const ROOT = join(tmp, 'dist');
const SECRET = 'SECRET-OUTSIDE-THE-ROOT';
const INDEX = '<!doctype html><title>synack ui</title>';
const TOKEN = 'a'.repeat(48);

interface Reply {
  status: number;
  head: string;
  body: string;
}

/** The body of a chunked reply (RFC 9112 §7.1). */
function dechunk(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', at);
    const size = Number.parseInt(text.slice(at, eol), 16);
    if (eol < 0 || !(size > 0)) return out;
    out += text.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** Sends `text` as is on a fresh TCP connection; the reply as the server wrote it. */
function raw(port: number, text: string): Promise<Reply> {
  return new Promise((ok, fail) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.on('data', (b) => {
      data += b.toString('latin1');
    });
    sock.on('error', fail);
    sock.on('close', () => {
      const cut = data.indexOf('\r\n\r\n');
      const head = cut < 0 ? data : data.slice(0, cut);
      let body = cut < 0 ? '' : data.slice(cut + 4);
      if (/\r\ntransfer-encoding: chunked/i.test(head)) body = dechunk(body);
      ok({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, body });
    });
    sock.write(text);
  });
}

describe('synack serve under attack', () => {
  let server: ReturnType<typeof createServeServer>;
  let port = 0;
  const get = (path: string, extra = '', host = `127.0.0.1:${port}`, method = 'GET') =>
    raw(port, `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}\r\n`);
  const authed = (path: string, extra = '', host?: string, method?: string) =>
    get(path, `Cookie: ${tokenCookieName(port)}=${TOKEN}\r\n${extra}`, host, method);
  async function stillServes(): Promise<void> {
    const r = await authed('/');
    assert.equal(r.status, 200, r.head);
    assert.equal(r.body, INDEX);
  }

  before(async () => {
    mkdirSync(join(ROOT, 'assets'), { recursive: true });
    writeFileSync(join(ROOT, 'index.html'), INDEX);
    writeFileSync(join(ROOT, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(tmp, 'secret.txt'), SECRET);
    symlinkSync(join(tmp, 'secret.txt'), join(ROOT, 'assets', 'link.js'));
    server = createServeServer(
      { files: [join(FIXTURES, 'tcpdump-lo-ipv4.pcap')], root: ROOT, token: TOKEN, port: () => port },
      { headersMs: 600, requestMs: 2000, checkMs: 100 },
    );
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const a = server.address();
    port = typeof a === 'object' && a !== null ? a.port : 0;
  });
  after(() => server.close());

  test('malformed paths: 400, and the server lives on', async () => {
    for (const path of ['/%', '/%E0%A4%A', '/%zz', '/a%00b', '//etc/passwd', '*', 'http://evil.example/']) {
      const r = await authed(path);
      assert.equal(r.status, 400, `${path}: ${r.head}`);
      await stillServes();
    }
  });

  test('a foreign Host (DNS rebinding) gets 421; loopback names with the port are answered', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `localhost.evil:${port}`,
      '10.1.2.3:' + port,
    ]) {
      const r = await authed('/api/files', '', host);
      assert.equal(r.status, 421, `${host}: ${r.head}`);
      assert.doesNotMatch(r.body, /tcpdump-lo-ipv4/);
      await stillServes();
    }
    const noHost = await raw(port, `GET / HTTP/1.0\r\nCookie: ${tokenCookieName(port)}=${TOKEN}\r\n\r\n`);
    assert.equal(noHost.status, 421);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      assert.equal((await authed('/api/files', '', host)).status, 200, host);
    }
  });

  test('the token: 403 without it or with a wrong one; the query sets the cookie; the header works', async () => {
    assert.equal((await get('/')).status, 403);
    assert.equal((await get('/api/files')).status, 403);
    assert.equal((await get('/files/0')).status, 403);
    assert.equal((await get(`/?token=${'b'.repeat(48)}`)).status, 403);
    assert.equal((await get('/', `Cookie: ${tokenCookieName(port)}=short\r\n`)).status, 403);
    assert.equal((await get('/', `Cookie: ${tokenCookieName(port + 1)}=${TOKEN}\r\n`)).status, 403);
    const first = await get(`/?token=${TOKEN}`);
    assert.equal(first.status, 200);
    assert.match(
      first.head,
      new RegExp(`set-cookie: ${tokenCookieName(port)}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`, 'i'),
    );
    const files = await authed('/api/files');
    assert.equal(files.status, 200);
    assert.equal(JSON.parse(files.body).files[0].name, 'tcpdump-lo-ipv4.pcap');
    assert.equal(JSON.parse(files.body).tap, 'auto', 'the UI analyses with --tap auto unless told');
    assert.equal((await get('/files/0', `Authorization: token ${TOKEN}\r\n`)).status, 200);
    assert.equal((await get(`/files/0?token=${TOKEN}`)).status, 200);
  });

  test('security headers on every answer', async () => {
    for (const r of [
      await authed('/'),
      await authed('/%'),
      await get('/'),
      await authed('/', '', 'evil.example'),
    ]) {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
        assert.ok(r.head.toLowerCase().includes(`\r\n${k}: ${v.toLowerCase()}`), `${k} missing in ${r.head}`);
      }
    }
    assert.match(SECURITY_HEADERS['content-security-policy']!, /frame-ancestors 'none'/);
  });

  test('traversal in every spelling stays inside the UI folder', async () => {
    const probes = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..\\secret.txt',
      '/%5c..%5csecret.txt',
      '/.%2e/secret.txt',
      `/${tmp}/secret.txt`,
      `/${encodeURIComponent(join(tmp, 'secret.txt'))}`,
      '/assets/link.js',
      '/./index.html',
    ];
    for (const path of probes) {
      const r = await authed(path);
      assert.ok(r.status === 400 || (r.status === 200 && r.body === INDEX), `${path}: ${r.status}`);
      assert.ok(!r.body.includes(SECRET), `${path} leaked the file outside the root`);
      await stillServes();
    }
    assert.equal((await authed('/assets/app.js')).body, 'console.log(1)');
  });

  test('methods: HEAD answers without a body; anything but GET and HEAD is 405', async () => {
    const head = await authed('/files/0', '', undefined, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.match(head.head, /content-length: \d+/i);
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT', 'PROPFIND']) {
      const r = await authed(m === 'CONNECT' ? `127.0.0.1:${port}` : '/', '', undefined, m);
      assert.ok(r.status === 405 || r.status === 400, `${m}: ${r.head}`);
      if (r.status === 405) assert.match(r.head, /allow: GET, HEAD/i);
      await stillServes();
    }
  });

  test('1 000 concurrent requests are all answered', async () => {
    const one = () =>
      new Promise<number>((ok, fail) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/files',
            agent: false,
            headers: { cookie: `${tokenCookieName(port)}=${TOKEN}` },
          },
          (res) => {
            res.resume();
            res.on('end', () => ok(res.statusCode ?? 0));
          },
        );
        req.on('error', fail);
        req.end();
      });
    const codes = await Promise.all(Array.from({ length: 1000 }, one));
    assert.equal(codes.filter((c) => c === 200).length, 1000);
    await stillServes();
  });

  test('a slow client (slowloris) is cut off by the header timeout; others are served meanwhile', async () => {
    const sock = connect(port, '127.0.0.1');
    let closed = false;
    let reply = '';
    sock.on('data', (b) => {
      reply += b.toString();
    });
    const gone = new Promise<void>((ok) => sock.on('close', () => ok()));
    sock.on('close', () => {
      closed = true;
    });
    sock.on('error', () => {});
    sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
    const drip = setInterval(() => {
      if (!closed) sock.write('X-a: b\r\n');
    }, 100);
    await stillServes();
    await gone;
    clearInterval(drip);
    assert.ok(closed);
    assert.match(reply, /^(HTTP\/1\.1 408|$)/);
    await stillServes();
  });

  test('oversized headers get 431 and the server lives on', async () => {
    const r = await authed('/', `X-big: ${'x'.repeat(40_000)}\r\n`);
    assert.equal(r.status, 431);
    await stillServes();
  });
});

test('synack serve prints one URL with its token; a malformed path does not kill it; --tap reaches the UI', async () => {
  const [node, ...args] = synackArgv(
    'serve',
    '--port',
    '0',
    '--tap',
    'server',
    join(FIXTURES, 'tcpdump-lo-ipv4.pcap'),
  );
  const proc = spawn(node!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<URL>((ok, fail) => {
      let out = '';
      proc.stdout.on('data', (b) => {
        out += b;
        const m = /^synack serve: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48})$/m.exec(out);
        if (m) ok(new URL(m[1]!));
      });
      proc.on('exit', (code) => fail(new Error(`exited ${code}: ${out}`)));
    });
    const port = Number(url.port);
    const bad = await raw(port, `GET /% HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    assert.equal(bad.status, 400);
    const ok = await raw(
      port,
      `GET /api/files${url.search} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(ok.status, 200);
    assert.match(ok.body, /tcpdump-lo-ipv4\.pcap/);
    assert.equal(JSON.parse(ok.body).tap, 'server');
    assert.equal(proc.exitCode, null, 'still running');
  } finally {
    proc.kill('SIGTERM');
  }
});

test('synack serve --tap with a place that is not one: a one-line usage error, nothing served', () => {
  const [node, ...args] = synackArgv('serve', '--port', '0', '--tap', 'nowhere');
  const r = spawnSync(node!, args, { encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(r.status, 0);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^synack serve: --tap takes auto, client, server, mid or an IP address, not 'nowhere'\n/,
  );
});
