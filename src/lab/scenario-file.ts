// Scenario files for `synack lab run FILE`: the declarative format of docs/lab-scenarios.md as
// JSON, checked field by field so a mistake is one clear line (which action, which field, what
// was expected) instead of a confusing run. Pure: takes the text, returns a Scenario.

import { HOST_SYSCTLS, type Scenario } from './scenario.js';

export class ScenarioFileError extends Error {}

const ACTIONS = [
  'listen',
  'connect',
  'send',
  'read',
  'shutdown',
  'close',
  'abort',
  'inject',
  'sysctl',
  'accept',
] as const;
const KINDS = ['SYN', 'SYN+ACK', 'ACK', 'DATA', 'FIN', 'RST', 'ANY'];
const SEQ_FIELDS = ['rcvNxt', 'sndNxt', 'sndUna', 'iss', 'irs', 'rcvWndEnd'];

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, what: string): never {
  throw new ScenarioFileError(`${where}: ${what}`);
}

function num(o: Obj, key: string, where: string, required = false): void {
  const v = o[key];
  if (v === undefined) {
    if (required) fail(where, `'${key}' is missing (a number)`);
    return;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    fail(where, `'${key}' must be a non-negative number`);
}

function str(o: Obj, key: string, where: string, required = false): void {
  const v = o[key];
  if (v === undefined) {
    if (required) fail(where, `'${key}' is missing (a string)`);
    return;
  }
  if (typeof v !== 'string' || v === '') fail(where, `'${key}' must be a non-empty string`);
}

function oneOf(o: Obj, key: string, allowed: readonly string[], where: string): void {
  const v = o[key];
  if (v !== undefined && !allowed.includes(v as string))
    fail(where, `'${key}' must be one of ${allowed.join(', ')}, not ${JSON.stringify(v)}`);
}

function seqRef(o: Obj, key: string, where: string): void {
  const v = o[key];
  if (v === undefined || typeof v === 'number' || (key === 'seq' && v === 'random')) return;
  if (!isObj(v)) fail(where, `'${key}' must be a number or {side, field, plus}`);
  oneOf(v, 'side', ['client', 'server'], `${where} ${key}`);
  if (v.side === undefined) fail(`${where} ${key}`, "'side' is missing");
  if (!SEQ_FIELDS.includes(v.field as string))
    fail(`${where} ${key}`, `'field' must be one of ${SEQ_FIELDS.join(', ')}`);
  if (v.plus !== undefined && typeof v.plus !== 'number') fail(`${where} ${key}`, "'plus' must be a number");
}

function checkHost(v: unknown, where: string): void {
  if (v === undefined) return;
  if (!isObj(v)) fail(where, 'must be an object');
  str(v, 'ip', where);
  num(v, 'ttl', where);
  num(v, 'maxSynBacklog', where);
  num(v, 'somaxconn', where);
  if (v.syncookies !== undefined && ![0, 1, 2].includes(v.syncookies as number))
    fail(where, "'syncookies' must be 0, 1 or 2");
  if (v.abortOnOverflow !== undefined && ![0, 1].includes(v.abortOnOverflow as number))
    fail(where, "'abortOnOverflow' must be 0 or 1");
  if (v.autoRead !== undefined && typeof v.autoRead !== 'boolean')
    fail(where, "'autoRead' must be true or false");
  if (v.tcp !== undefined && !isObj(v.tcp)) fail(where, "'tcp' must be an object of endpoint settings");
  if (
    v.ephemeral !== undefined &&
    !(
      Array.isArray(v.ephemeral) &&
      v.ephemeral.length === 2 &&
      v.ephemeral.every((p) => Number.isInteger(p) && p > 0 && p < 65536)
    )
  )
    fail(where, "'ephemeral' must be [low, high] ports");
}

function checkLink(v: unknown): void {
  if (v === undefined) return;
  if (!isObj(v)) fail('link', 'must be an object');
  for (const k of ['latency', 'jitter', 'loss', 'duplicate']) num(v, k, 'link');
  if (v.rules === undefined) return;
  if (!Array.isArray(v.rules)) fail('link', "'rules' must be a list");
  v.rules.forEach((r, i) => {
    const where = `link rule ${i + 1}`;
    if (!isObj(r)) fail(where, 'must be an object');
    oneOf(r, 'action', ['drop', 'duplicate', 'delay'], where);
    if (r.action === undefined) fail(where, "'action' is missing (drop, duplicate or delay)");
    oneOf(r, 'dir', ['c2s', 's2c', 'any'], where);
    oneOf(r, 'where', ['at-sender', 'before-mid', 'after-mid', 'at-receiver'], where);
    const kinds = Array.isArray(r.match) ? r.match : r.match === undefined ? [] : [r.match];
    for (const k of kinds) if (!KINDS.includes(k)) fail(where, `'match' must be among ${KINDS.join(', ')}`);
    for (const k of ['nth', 'count', 'probability', 'delay', 'after', 'before']) num(r, k, where);
  });
}

function checkAction(a: unknown, i: number): void {
  const where = `timeline action ${i + 1}`;
  if (!isObj(a)) fail(where, 'must be an object');
  num(a, 'at', where, true);
  if (!ACTIONS.includes(a.do as (typeof ACTIONS)[number]))
    fail(where, `'do' must be one of ${ACTIONS.join(', ')}, not ${JSON.stringify(a.do)}`);
  if (a.repeat !== undefined) {
    if (!isObj(a.repeat)) fail(where, "'repeat' must be {count, every}");
    num(a.repeat, 'count', `${where} repeat`, true);
    num(a.repeat, 'every', `${where} repeat`, true);
  }
  oneOf(a, 'side', ['client', 'server'], where);
  switch (a.do) {
    case 'listen':
      num(a, 'port', where, true);
      num(a, 'backlog', where);
      if (a.accept !== undefined && typeof a.accept !== 'boolean')
        fail(where, "'accept' must be true or false");
      if (a.fastOpen !== undefined && typeof a.fastOpen !== 'boolean')
        fail(where, "'fastOpen' must be true or false");
      break;
    case 'accept':
      num(a, 'port', where, true);
      break;
    case 'sysctl':
      oneOf(a, 'name', HOST_SYSCTLS, where);
      if (a.name === undefined) fail(where, `'name' is missing (${HOST_SYSCTLS.join(', ')})`);
      num(a, 'value', where, true);
      break;
    case 'connect':
      str(a, 'conn', where, true);
      num(a, 'port', where, true);
      num(a, 'localPort', where);
      if (
        a.fastOpenData !== undefined &&
        typeof a.fastOpenData !== 'string' &&
        typeof a.fastOpenData !== 'number'
      )
        fail(where, "'fastOpenData' must be a string or a byte count");
      break;
    case 'send':
      str(a, 'conn', where, true);
      if (a.side === undefined) fail(where, "'side' is missing (client or server)");
      if (typeof a.bytes !== 'string' && typeof a.bytes !== 'number')
        fail(where, "'bytes' must be a string or a byte count");
      break;
    case 'inject':
      oneOf(a, 'from', ['client', 'server'], where);
      if (a.from === undefined) fail(where, "'from' is missing (client or server)");
      if (typeof a.flags !== 'string' || !/^[SFRPUEW.]+$/.test(a.flags))
        fail(where, "'flags' must be tcpdump letters such as R, S, R.");
      if (a.seq === undefined) fail(where, "'seq' is missing");
      seqRef(a, 'seq', where);
      seqRef(a, 'ack', where);
      str(a, 'srcIp', where);
      if (a.options !== undefined) {
        if (!isObj(a.options)) fail(where, "'options' must be {mss, wscale, sackOk}");
        num(a.options, 'mss', `${where} options`);
        num(a.options, 'wscale', `${where} options`);
        if (a.options.sackOk !== undefined && typeof a.options.sackOk !== 'boolean')
          fail(`${where} options`, "'sackOk' must be true or false");
      }
      if (a.conn === undefined && (a.srcPort === undefined || a.dstPort === undefined))
        fail(where, "give 'conn' or both 'srcPort' and 'dstPort'");
      break;
    default:
      str(a, 'conn', where, true);
      if (a.side === undefined) fail(where, "'side' is missing (client or server)");
  }
}

/** Parses and checks a scenario file's text; `fallbackName` names a scenario that has no `name`. */
export function parseScenario(text: string, fallbackName: string): Scenario {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail('not JSON', (err as Error).message);
  }
  if (!isObj(doc)) fail('scenario', 'must be a JSON object');
  str(doc, 'name', 'scenario');
  str(doc, 'description', 'scenario');
  num(doc, 'seed', 'scenario');
  checkHost(doc.client, 'client');
  checkHost(doc.server, 'server');
  checkLink(doc.link);
  if (!Array.isArray(doc.timeline) || doc.timeline.length === 0)
    fail('scenario', "'timeline' must be a non-empty list of actions");
  doc.timeline.forEach(checkAction);
  return {
    ...(doc as unknown as Scenario),
    name: (doc.name as string | undefined) ?? fallbackName,
    description: (doc.description as string | undefined) ?? '',
  };
}
