// A packetdrill script's shell configuration read as sysctls: the init command's lines
// (`sysctl -q net.ipv4.tcp_x=v …`, `set_sysctls.py /proc/sys/net/ipv4/x=v`, and the shared
// `common/defaults.sh`, whose text the caller supplies or, when it cannot, the copy of its values
// below) turned into the endpoint settings of the Linux personality. Pure: text in, settings out.
// A sysctl that changes something the lab models is applied; one that only tunes what the lab
// does not model (congestion control, pacing, TSO, Fast Open keys) is accepted and listed;
// anything else is PacketdrillUnsupported, so a script never passes on a setting we ignored.

import type { EndpointConfig } from '../tcp/config.js';
import { PacketdrillUnsupported } from './packetdrill-syntax.js';

export type StackSettings = Partial<Omit<EndpointConfig, 'random' | 'localPort' | 'issFor'>> & {
  /** tcp_wmem[1]: a socket's initial send buffer (bytes). */
  sndBuf?: number;
};

/** google/packetdrill gtests/net/common/defaults.sh, its sysctls (used when the file is not at hand). */
export const PACKETDRILL_DEFAULTS_SH = `
sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"
sysctl -q net.ipv4.tcp_wmem="4096 $((256*1024)) 4194304"
sysctl -q net.ipv4.tcp_timestamps=1
sysctl -q net.ipv4.tcp_syn_retries=5
sysctl -q net.ipv4.tcp_synack_retries=5
sysctl -q net.ipv4.tcp_frto=2
sysctl -q net.ipv4.tcp_sack=1
sysctl -q net.ipv4.tcp_dsack=1
sysctl -q net.ipv4.tcp_fack=0
sysctl -q net.ipv4.tcp_reordering=3
sysctl -q net.ipv4.tcp_congestion_control=cubic
sysctl -q net.ipv4.tcp_slow_start_after_idle=0
sysctl -q net.ipv4.tcp_early_retrans=4 net.ipv4.tcp_recovery=1
sysctl -q net.ipv4.tcp_tso_win_divisor=3
sysctl -q net.ipv4.tcp_ecn=0
sysctl -q net.ipv4.tcp_ecn_option=2
sysctl -q net.ipv4.tcp_pacing_ss_ratio=200
sysctl -q net.ipv4.tcp_pacing_ca_ratio=120
sysctl -q net.ipv4.tcp_notsent_lowat=4294967295
sysctl -q net.ipv4.tcp_fastopen=0x70403
sysctl -q net.ipv4.tcp_fastopen_key=a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4
sysctl -q net.ipv4.tcp_syncookies=1
`;

/** Linux's net.core.rmem_max default: the window scale also covers it (tcp_select_initial_window). */
const RMEM_MAX = 212_992;

/** Sysctls that tune what the lab does not model; accepted with any value. */
const NOT_MODELLED = new Set([
  'net.ipv4.tcp_frto',
  'net.ipv4.tcp_dsack',
  'net.ipv4.tcp_fack',
  'net.ipv4.tcp_reordering',
  'net.ipv4.tcp_congestion_control',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_recovery',
  'net.ipv4.tcp_tso_win_divisor',
  'net.ipv4.tcp_min_tso_segs',
  'net.ipv4.tcp_pacing_ss_ratio',
  'net.ipv4.tcp_pacing_ca_ratio',
  'net.ipv4.tcp_notsent_lowat',
  'net.ipv4.tcp_fastopen',
  'net.ipv4.tcp_fastopen_key',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_ecn_option',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_autocorking',
  'net.ipv4.tcp_moderate_rcvbuf',
  'net.ipv4.tcp_no_metrics_save',
  'net.core.default_qdisc',
]);

/** `$((15*1024*1024))` and plain integers, as bash expands them in defaults.sh. */
function expandArithmetic(text: string): string {
  return text.replace(/\$\(\(([0-9+*\s-]+)\)\)/g, (_, expr: string) => {
    let total = 0;
    for (const term of expr.split('+')) {
      total += term
        .split('*')
        .map((f) => Number(f.trim()))
        .reduce((a, b) => a * b, 1);
    }
    return String(total);
  });
}

function unquote(v: string): string {
  return v.replace(/^["']|["']$/g, '');
}

function intValue(name: string, v: string, line: number): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new PacketdrillUnsupported(line, `sysctl ${name}=${v} (not a number)`);
  return n;
}

/** Applies one sysctl to the settings. */
export function applySysctl(settings: StackSettings, rawName: string, rawValue: string, line: number): void {
  const name = rawName.replace(/^\/proc\/sys\//, '').replaceAll('/', '.');
  const value = unquote(expandArithmetic(rawValue.trim()));
  if (NOT_MODELLED.has(name)) return;
  const n = () => intValue(name, value, line);
  const flag = () => {
    const v = n();
    return v !== 0;
  };
  switch (name) {
    case 'net.ipv4.tcp_rmem': {
      const parts = value.split(/\s+/).map(Number);
      if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) {
        throw new PacketdrillUnsupported(line, `sysctl ${name}="${value}" (three numbers expected)`);
      }
      // tcp_select_initial_window: the shift that lets the largest buffer be announced.
      const space = Math.max(parts[2], RMEM_MAX);
      settings.wscale = Math.min(14, Math.max(0, Math.floor(Math.log2(space)) - 15));
      return;
    }
    case 'net.ipv4.tcp_wmem': {
      const parts = value.split(/\s+/).map(Number);
      if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x))) {
        throw new PacketdrillUnsupported(line, `sysctl ${name}="${value}" (three numbers expected)`);
      }
      settings.sndBuf = parts[1];
      return;
    }
    case 'net.ipv4.tcp_timestamps':
      settings.timestamps = flag();
      return;
    case 'net.ipv4.tcp_sack':
      settings.sack = flag();
      return;
    case 'net.ipv4.tcp_window_scaling':
      if (!flag()) settings.wscale = undefined;
      return;
    case 'net.ipv4.tcp_syn_retries':
      settings.synRetries = n();
      return;
    case 'net.ipv4.tcp_synack_retries':
      settings.synAckRetries = n();
      return;
    case 'net.ipv4.tcp_retries2':
      settings.dataRetries = n();
      return;
    case 'net.ipv4.tcp_fin_timeout':
      settings.finWait2TimeoutUs = n() * 1_000_000;
      return;
    case 'net.ipv4.tcp_keepalive_time':
      settings.keepaliveIdleUs = n() * 1_000_000;
      return;
    case 'net.ipv4.tcp_keepalive_intvl':
      settings.keepaliveIntervalUs = n() * 1_000_000;
      return;
    case 'net.ipv4.tcp_keepalive_probes':
      settings.keepaliveProbes = n();
      return;
    case 'net.ipv4.tcp_rto_min_us':
      settings.minRtoUs = n();
      return;
    case 'net.ipv4.tcp_early_retrans': {
      // 3 and 4 enable tail loss probes (RFC 8985 §7); 0–2 do not.
      const v = n();
      settings.tailLossProbe = v === 3 || v === 4;
      return;
    }
    case 'net.ipv4.tcp_ecn':
      if (n() === 1)
        throw new PacketdrillUnsupported(line, 'sysctl net.ipv4.tcp_ecn=1 (ECN is not modelled)');
      return;
    default:
      throw new PacketdrillUnsupported(line, `sysctl ${name}`);
  }
}

/**
 * One shell command of the init (or a mid-script) command. `include` returns the text of a
 * script it runs (defaults.sh), undefined when it cannot (then defaults.sh's known values apply).
 */
export function applyCommand(
  settings: StackSettings,
  command: string,
  line: number,
  include: (path: string) => string | undefined,
  depth = 0,
): void {
  for (const raw of command.split('\n')) {
    const text = raw.replace(/\s+#.*$/, '').trim();
    if (text === '' || text.startsWith('#')) continue;
    const words = text.split(/\s+/);
    const cmd = words[0];
    if (cmd === 'sysctl') {
      // sysctl [-q] [-w] name=value ... (a value may be quoted and hold spaces)
      const assignments = text.slice(cmd.length).replace(/\s-[qwe]+\b/g, ' ');
      const re = /([A-Za-z0-9_./]+)=("[^"]*"|'[^']*'|\S+)/g;
      let matched = false;
      for (const m of assignments.matchAll(re)) {
        matched = true;
        applySysctl(settings, m[1], m[2], line);
      }
      if (!matched) throw new PacketdrillUnsupported(line, `shell command '${text}'`);
    } else if (cmd.endsWith('set_sysctls.py')) {
      for (const w of words.slice(1)) {
        const eq = w.indexOf('=');
        if (eq < 0) throw new PacketdrillUnsupported(line, `shell command '${text}'`);
        applySysctl(settings, w.slice(0, eq), w.slice(eq + 1), line);
      }
    } else if (cmd.endsWith('defaults.sh') && depth === 0) {
      applyCommand(settings, include(cmd) ?? PACKETDRILL_DEFAULTS_SH, line, include, depth + 1);
    } else if (/^\/tmp\/sysctl_restore_/.test(cmd)) {
      // The cleanup that restores the host's sysctls after the run: nothing to do in the lab.
    } else if (depth > 0 && (cmd === 'ip' || cmd === 'tc' || cmd.startsWith('#!'))) {
      // defaults.sh's route-metrics flush and qdisc: no effect on the simulated stack.
    } else {
      throw new PacketdrillUnsupported(line, `shell command '${text}'`);
    }
  }
}
