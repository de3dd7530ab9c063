// The web UI in a real browser: `synack serve` on a corpus capture and the bundled example,
// driven with playwright-core through Debian's chromium. Checks what a user sees: the list has
// as many connections as `synack conns --json` prints, a selected connection's ladder has the
// arrows and state labels `synack ladder --svg` draws, a clicked arrow shows the decoded packet
// (tcpdump's own line for it) and its paragraph of the story, the language toggle switches the
// story, shareable URLs open the named connection, a chosen (gzip'd) file is analysed in the
// page. Screenshots go to $TMPDIR/synack-web-shots. Skips only when chromium is absent.

import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';
import { CLI, CORPUS, REPO_ROOT } from './helpers/paths.js';
import { hasTcpdump } from './helpers/tools.js';

const CHROMIUM = '/usr/bin/chromium';
const EXAMPLE = join(REPO_ROOT, 'examples', 'loopback-lifecycles.pcap');
const CORPUS_FILE = join(CORPUS, 'zeek', 'ftp-ipv4.pcap');
const SHOTS = join(tmpdir(), 'synack-web-shots');
const haveChromium = existsSync(CHROMIUM);

function synack(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

const connsCache = new Map<string, string[]>();

/** `synack conns --json FILE`, one line per connection (run once per file). */
function connsJson(file: string): string[] {
  let lines = connsCache.get(file);
  if (!lines) {
    lines = synack(['conns', '--json', file]).split('\n').filter(Boolean);
    connsCache.set(file, lines);
  }
  return lines;
}

function connCount(file: string): number {
  return connsJson(file).length;
}

/** What `synack ladder --svg` draws: arrows (g.pkt) and the state labels, in order. */
function cliLadder(file: string, conn: number): { arrows: number; states: string[] } {
  const svg = synack(['ladder', file, '--conn', String(conn), '--svg', '-']);
  return { arrows: (svg.match(/<g class="pkt"/g) ?? []).length, states: svgStates(svg) };
}

function svgStates(svg: string): string[] {
  return [...svg.matchAll(/font-weight="bold">([A-Z_0-9]+)<\/text>/g)].map((m) => m[1]);
}

describe('web UI (synack serve) in chromium', {
  skip: haveChromium ? false : 'chromium is not installed',
}, () => {
  let server: ChildProcess;
  let url = '';
  let ctx: BrowserContext;
  let page: Page;
  let profile = '';
  // File 0 is the corpus capture, file 1 the bundled example.
  const files = [CORPUS_FILE, EXAMPLE];
  const exampleIndex = files.length - 1;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = spawn(process.execPath, [CLI, 'serve', ...files, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((ok, fail) => {
      let out = '';
      server.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out);
        if (m) ok(m[0]);
      });
      server.stderr!.on('data', (b: Buffer) => process.stderr.write(b));
      server.on('exit', (code) => fail(new Error(`synack serve exited with ${code}: ${out}`)));
    });
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'synack-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (err) => process.stderr.write(`page error: ${err.message}\n`));
  });

  after(async () => {
    await ctx?.close();
    server?.kill('SIGTERM');
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function countShown(): Promise<number> {
    return Number((await page.getByTestId('conn-count').textContent())?.replace(/\D/g, ''));
  }

  async function ladderOnPage(): Promise<{ arrows: number; states: string[] }> {
    const svg = await page.getByTestId('ladder').innerHTML();
    return { arrows: (svg.match(/<g class="pkt[" ]/g) ?? []).length, states: svgStates(svg) };
  }

  test('on arrival the first served file is open with its first connection selected', async () => {
    await page.goto(url);
    await page.getByTestId('conn-count').waitFor();
    const expected = connCount(files[0]);
    assert.equal(await countShown(), expected);
    // The list draws one row per connection (few enough here to be all in view).
    assert.equal(await page.locator('[data-testid="conn-list"] .row').count(), expected);
    await page.locator('[data-testid="ladder"] svg').waitFor();
    assert.match(page.url(), /#file=0&conn=1$/);
    assert.equal(await page.locator('[data-testid="conn-list"] .row.sel').getAttribute('data-id'), '1');
    assert.deepEqual(await ladderOnPage(), cliLadder(files[0], 1));
    await page.screenshot({ path: join(SHOTS, '1-arrival.png'), fullPage: true });
  });

  test('selecting a connection draws its ladder with the arrows and states of `synack ladder`', async () => {
    const n = connCount(files[0]);
    const id = Math.min(n, 2);
    await page.locator(`[data-testid="conn-list"] .row[data-id="${id}"]`).click();
    await page.waitForFunction(`location.hash.endsWith('conn=${id}')`);
    await page.locator('[data-testid="ladder"] svg').waitFor();
    await page
      .locator('.conn-head h2')
      .filter({ hasText: new RegExp(`^Connection ${id} `) })
      .waitFor();
    const got = await ladderOnPage();
    const want = cliLadder(files[0], id);
    assert.ok(want.arrows > 0);
    assert.deepEqual(got, want);
  });

  test('the example: arrows, both endpoints\u2019 states, packet details and the story in two languages', async () => {
    await page.goto(`${url}#file=${exampleIndex}&conn=1`);
    await page.locator('.files button.on', { hasText: 'loopback-lifecycles.pcap' }).waitFor();
    await page.getByTestId('conn-count').waitFor();
    assert.equal(await countShown(), connCount(EXAMPLE));
    await page.locator('[data-testid="ladder"] svg').waitFor();
    const ladder = await ladderOnPage();
    // A textbook connection: 3-way handshake, one request, one answer, 3-segment teardown.
    assert.equal(ladder.arrows, 10);
    assert.deepEqual(ladder.states, [
      'CLOSED',
      'LISTEN',
      'SYN_SENT',
      'SYN_RECEIVED',
      'ESTABLISHED',
      'ESTABLISHED',
      'FIN_WAIT_1',
      'CLOSE_WAIT',
      'TIME_WAIT',
      'LAST_ACK',
      'CLOSED',
    ]);
    // Hover: a card with the packet's fields.
    await page.locator('[data-testid="ladder"] g.pkt[data-frame="2"] line.hit').hover();
    await page.locator('.hovercard').waitFor();
    assert.match(
      (await page.locator('.hovercard').textContent()) ?? '',
      /frame 2.*server → client.*SYN\+ACK/,
    );
    // Click: the decoded packet and its paragraph.
    await page.locator('[data-testid="ladder"] g.pkt[data-frame="2"] line.hit').click();
    await page.getByTestId('packet').locator('pre.tcpdump').waitFor();
    const tcpdumpLine = (await page.getByTestId('packet').locator('pre.tcpdump').textContent()) ?? '';
    if (hasTcpdump) {
      const lines = execFileSync('tcpdump', ['-n', '-tt', '-r', EXAMPLE], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).split('\n');
      assert.equal(tcpdumpLine, lines[1].replace(/(length \d+).*$/, '$1'));
    } else assert.match(tcpdumpLine, /^\d+\.\d{6} IP 127\.0\.0\.1\.8801 > 127\.0\.0\.1\.\d+: Flags \[S\.\]/);
    const packetText = (await page.getByTestId('packet').textContent()) ?? '';
    assert.match(packetText, /mss 65495/);
    const hl = page.locator('[data-testid="explain"] p.hl');
    assert.match(
      (await hl.textContent()) ?? '',
      /^\[0\.000034 s, frame 2\] The server answers with SYN\+ACK/,
    );
    await page.screenshot({ path: join(SHOTS, '2-example-packet.png'), fullPage: true });

    await page.getByRole('button', { name: '中文' }).click();
    assert.match((await hl.textContent()) ?? '', /^\[0\.000034 秒，第 2 帧\]服务端回复 SYN\+ACK/);
    assert.match(
      (await page.getByTestId('explain').locator('p').first().textContent()) ?? '',
      /^连接 1：客户端/,
    );
    await page.screenshot({ path: join(SHOTS, '3-example-zh.png'), fullPage: true });
    await page.getByRole('button', { name: 'English' }).click();
    assert.match(
      (await page.getByTestId('explain').locator('p').first().textContent()) ?? '',
      /^Connection 1: client/,
    );
  });

  test('filters narrow the list; the host view and the event summary render', async () => {
    await page.getByTestId('filter-state').selectOption('TIME_WAIT');
    const tw = connsJson(EXAMPLE).map((l) => JSON.parse(l) as { states: { orig: string[]; resp: string[] } });
    const want = tw.filter((c) => [...c.states.orig, ...c.states.resp].includes('TIME_WAIT')).length;
    assert.equal(await page.locator('[data-testid="conn-list"] .row').count(), want);
    await page.getByTestId('filter-state').selectOption('');
    await page.getByTestId('filter-addr').fill(':1');
    assert.equal(await page.locator('[data-testid="conn-list"] .row').count(), 0);
    await page.getByTestId('filter-addr').fill('');
    await page.getByRole('tab', { name: 'Hosts' }).click();
    await page.getByTestId('hosts').waitFor();
    assert.ok((await page.locator('[data-testid="hosts"] .chart svg path').count()) > 0);
    await page.screenshot({ path: join(SHOTS, '4-hosts.png'), fullPage: true });
    await page.getByRole('tab', { name: /Events/ }).click();
    await page.getByTestId('events').waitFor();
    assert.match((await page.getByTestId('events').textContent()) ?? '', /Zeek conn_state/);
    await page.screenshot({ path: join(SHOTS, '5-events.png'), fullPage: true });
  });

  test('a chosen file (gzip\u2019d) is analysed in the page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-web-'));
    const gz = join(dir, 'example.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(EXAMPLE)));
    try {
      await page.getByTestId('file-input').setInputFiles(gz);
      await page.locator('.files button.on', { hasText: 'example.pcap.gz' }).waitFor();
      await page.getByTestId('conn-count').waitFor();
      assert.equal(await countShown(), connCount(EXAMPLE));
      await page.locator('[data-testid="ladder"] svg').waitFor();
      assert.deepEqual(await ladderOnPage(), cliLadder(EXAMPLE, 1));
      assert.match(page.url(), /#conn=1$/);
      await page.screenshot({ path: join(SHOTS, '6-chosen-file.png'), fullPage: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a chosen packetdrill script (.pkt) is run in the worker and shown like its capture', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-web-'));
    const script = join(REPO_ROOT, 'examples', 'packetdrill', 'three-way-handshake.pkt');
    const pcap = join(dir, 'three-way-handshake.pcap');
    try {
      synack(['lab', 'run', script, '-w', pcap]);
      await page.getByTestId('file-input').setInputFiles(script);
      await page.locator('.files button.on', { hasText: 'three-way-handshake.pkt' }).waitFor();
      await page.getByTestId('conn-count').waitFor();
      assert.equal(await countShown(), connCount(pcap));
      await page.locator('[data-testid="ladder"] svg').waitFor();
      assert.deepEqual(await ladderOnPage(), cliLadder(pcap, 1));
      await page.screenshot({ path: join(SHOTS, '7-packetdrill-script.png'), fullPage: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
