// The peer for `synack watch`: `ss -tanoepH` (iproute2) lines parsed into the fields watch shows,
// and a field-by-field comparison of watch's sockets with them. Used by test/watch.test.ts on
// recorded /proc and ss output, and by scripts/watch-parity.ts on live namespaces.
//
// One line: `STATE RECV-Q SEND-Q LOCAL PEER [users:((…))] [timer:(NAME,TIME,COUNT)] [uid:N]
// ino:N sk:… …`. ss prints uid only when it is not 0, a timer only when one is pending, and a
// time such as `2.852ms` for 2.852 s (misc/ss.c print_ms_timer).

import type { WatchSocket } from '../../src/report/watch-table.js';
import { STATE_NAMES, type StateName, stateFromName } from '../../src/tcp/state.js';

export const SS_STATES: Record<string, string> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECEIVED',
  'FIN-WAIT-1': 'FIN_WAIT_1',
  'FIN-WAIT-2': 'FIN_WAIT_2',
  'TIME-WAIT': 'TIME_WAIT',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
  UNCONN: 'CLOSED',
};

const SS_TIMERS: Record<string, string> = {
  on: 'retransmit',
  keepalive: 'keepalive',
  timewait: 'timewait',
  persist: 'persist',
};

export interface SsSocket {
  state: string;
  recvQ: number;
  sendQ: number;
  /** `ip port` in synack's spelling (wildcards as 0.0.0.0/:: and 0). */
  local: string;
  remote: string;
  pids: number[];
  /** The owners' command names, distinct, comma-separated; null without owners. */
  command: string | null;
  timer: { kind: string; ms: number; count: number; text: string } | null;
  uid: number;
  inode: number;
}

/** ss's `ADDR:PORT` (`*` wildcards, IPv6 in brackets) as `ip port`. */
function endpoint(text: string, v6: boolean): string {
  const i = text.lastIndexOf(':');
  let host = text.slice(0, i);
  const port = text.slice(i + 1);
  if (host === '*') host = v6 ? '::' : '0.0.0.0';
  host = host.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return `${host} ${port === '*' ? 0 : Number(port)}`;
}

/** ss's timer time (`496ms`, `2.852ms`, `31sec`, `4min56sec`, `119min`, ``) → ms. */
export function ssTimeMs(text: string): number {
  let ms = 0;
  const min = /^(\d+)min/.exec(text);
  let rest = text;
  if (min !== null) {
    ms += Number(min[1]) * 60_000;
    rest = rest.slice(min[0].length);
  }
  const frac = /^(\d+)\.(\d{3})ms$/.exec(rest);
  if (frac !== null) return ms + Number(frac[1]) * 1000 + Number(frac[2]);
  const sec = /^(\d+)sec/.exec(rest);
  if (sec !== null) {
    ms += Number(sec[1]) * 1000;
    rest = rest.slice(sec[0].length);
  }
  const milli = /^(\d+)ms$/.exec(rest);
  if (milli !== null) ms += Number(milli[1]);
  return ms;
}

/** How coarse ss's text for `ms` is: 1 ms below 10 s, 1 s below 10 min, 1 min above. */
export function ssTimeStep(ms: number): number {
  return ms < 10_000 ? 1 : ms < 600_000 ? 1000 : 60_000;
}

export function parseSsLines(text: string): SsSocket[] {
  const out: SsSocket[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || /^\s/.test(line)) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || SS_STATES[f[0]!] === undefined) continue;
    const v6 = f[3]!.startsWith('[') || f[3]!.startsWith('*:');
    const t = /timer:\((\w+),([^,]*),(\d+)\)/.exec(line);
    const names = [...new Set([...line.matchAll(/\("([^"]+)",pid=/g)].map((m) => m[1]!))];
    out.push({
      state: SS_STATES[f[0]!]!,
      recvQ: Number(f[1]),
      sendQ: Number(f[2]),
      local: endpoint(f[3]!, v6),
      remote: endpoint(f[4]!, v6),
      pids: [...new Set([...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b),
      command: names.length > 0 ? names.join(',') : null,
      timer:
        t === null
          ? null
          : { kind: SS_TIMERS[t[1]!] ?? t[1]!, ms: ssTimeMs(t[2]!), count: Number(t[3]), text: t[0] },
      uid: Number(/\buid:(\d+)/.exec(line)?.[1] ?? 0),
      inode: Number(/\bino:(\d+)/.exec(line)?.[1] ?? 0),
    });
  }
  return out;
}

/** `watch --json` lines back into sockets (the fields compared with ss). */
export function watchSocketsFromJson(text: string): WatchSocket[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const o = JSON.parse(l);
      return {
        ipVersion: o.local.ip.includes(':') ? 6 : 4,
        localIp: o.local.ip,
        localPort: o.local.port,
        remoteIp: o.remote.ip,
        remotePort: o.remote.port,
        state: stateFromName(o.state as StateName)!,
        pids: o.pids,
        command: o.command,
        inode: o.inode,
        timeWaitLeftMs: -1,
        txQueue: o.send_q ?? 0,
        rxQueue: o.recv_q,
        uid: o.uid,
        timer:
          o.timer === null ? null : { kind: o.timer.kind, leftMs: o.timer.left_ms, count: o.timer.count },
      };
    });
}

/** The fields compared, in report order. */
export const WATCH_FIELDS = [
  'socket',
  'state',
  'recv_q',
  'send_q',
  'timer',
  'timer_count',
  'timer_left',
  'uid',
  'inode',
  'pids',
] as const;
export type WatchField = (typeof WATCH_FIELDS)[number];

export interface FieldTally {
  agree: number;
  total: number;
  /** What disagreed, one line each. */
  misses: string[];
}

export interface Comparison {
  fields: Record<WatchField, FieldTally>;
}

const sockKey = (local: string, remote: string, inode: number, listen: boolean) =>
  `${local} > ${remote}${listen ? ` #${inode}` : ''}`;

/**
 * Compares watch's sockets with ss's, field by field. `slackMs`: how far apart the two reads may
 * be (a timer's time left is allowed to differ by that plus ss's rounding and /proc's 10 ms tick).
 * A listener's Send-Q (its backlog, not in /proc) is not compared; `pids` only when `withPids`.
 */
export function compareWithSs(
  ours: readonly WatchSocket[],
  ss: readonly SsSocket[],
  slackMs: number,
  withPids: boolean,
): Comparison {
  const fields = Object.fromEntries(
    WATCH_FIELDS.map((f) => [f, { agree: 0, total: 0, misses: [] }]),
  ) as unknown as Record<WatchField, FieldTally>;
  const tally = (f: WatchField, ok: boolean, what: string) => {
    fields[f].total++;
    if (ok) fields[f].agree++;
    else fields[f].misses.push(what);
  };
  const mine = new Map<string, WatchSocket>();
  for (const s of ours) {
    const k = sockKey(
      `${s.localIp} ${s.localPort}`,
      `${s.remoteIp} ${s.remotePort}`,
      s.inode,
      s.remotePort === 0,
    );
    mine.set(k, s);
  }
  const seen = new Set<string>();
  for (const p of ss) {
    const k = sockKey(p.local, p.remote, p.inode, p.state === 'LISTEN' || p.state === 'CLOSED');
    seen.add(k);
    const o = mine.get(k);
    tally('socket', o !== undefined, `missing: ${k} (${p.state})`);
    if (o === undefined) continue;
    const at = `${k}: ${p.state}`;
    tally('state', STATE_NAMES[o.state] === p.state, `${at}: state ${STATE_NAMES[o.state]}`);
    tally('recv_q', o.rxQueue === p.recvQ, `${at}: Recv-Q ${o.rxQueue} vs ${p.recvQ}`);
    if (p.state !== 'LISTEN')
      tally('send_q', o.txQueue === p.sendQ, `${at}: Send-Q ${o.txQueue} vs ${p.sendQ}`);
    tally(
      'timer',
      (o.timer?.kind ?? null) === (p.timer?.kind ?? null),
      `${at}: timer ${o.timer?.kind} vs ${p.timer?.text}`,
    );
    if (o.timer !== null && p.timer !== null && o.timer.kind === p.timer.kind) {
      // A timer due within the gap may have fired before ss looked: ss then shows the next one,
      // one retransmission or probe more, with a fresh time.
      const fired = o.timer.leftMs <= slackMs && p.timer.count === o.timer.count + 1;
      tally(
        'timer_count',
        o.timer.count === p.timer.count || fired,
        `${at}: count ${o.timer.count} vs ${p.timer.text}`,
      );
      const tolerance = slackMs + ssTimeStep(p.timer.ms) + 10;
      tally(
        'timer_left',
        Math.abs(o.timer.leftMs - p.timer.ms) <= tolerance || fired,
        `${at}: ${o.timer.leftMs} ms left vs ${p.timer.text}`,
      );
    }
    tally('uid', o.uid === p.uid, `${at}: uid ${o.uid} vs ${p.uid}`);
    tally('inode', o.inode === p.inode, `${at}: inode ${o.inode} vs ${p.inode}`);
    if (withPids) tally('pids', o.pids.join(',') === p.pids.join(','), `${at}: pids ${o.pids} vs ${p.pids}`);
  }
  for (const [k, s] of mine)
    if (!seen.has(k)) tally('socket', false, `extra: ${k} (${STATE_NAMES[s.state]})`);
  return { fields };
}
