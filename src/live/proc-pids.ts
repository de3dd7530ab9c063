// Which processes hold each socket: one pass over /proc/PID/fd per poll, reading each fd link
// and keeping those that read `socket:[INODE]` (the way ss -p and netstat -p find owners). A
// socket shared by several processes (fork, SCM_RIGHTS) lists every pid. Processes whose fd
// directory is not readable (other users' processes when not root) are skipped: their sockets
// show no owner. Only thread-group leaders appear in /proc's listing, and threads share the fd
// table, so each process is read once. The command is /proc/PID/comm, read only for owners.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface SocketOwners {
  /** Socket inode → owning pids, ascending. */
  pids: Map<number, number[]>;
  /** pid → command (comm), for the pids in `pids`. */
  commands: Map<number, string>;
  /** pid → open file descriptors (all kinds), for the pids in `pids`. */
  fdCounts: Map<number, number>;
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/**
 * Scans /proc for socket owners. `wanted`, when given, limits the result to those inodes (the
 * scan itself is the same: the cost is one readlink per open fd on the machine).
 */
export function readSocketOwners(wanted?: ReadonlySet<number>, root = '/proc'): SocketOwners {
  const pids = new Map<number, number[]>();
  const commands = new Map<number, string>();
  const fdCounts = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return { pids, commands, fdCounts };
  }
  const numeric = entries.filter((e) => e.charCodeAt(0) >= 48 && e.charCodeAt(0) <= 57).map(Number);
  numeric.sort((a, b) => a - b);
  for (const pid of numeric) {
    const dir = `${root}/${pid}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(dir);
    } catch {
      continue; // gone, or not ours to read
    }
    let owns = false;
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${dir}/${fd}`);
      } catch {
        continue;
      }
      const m = SOCKET_LINK.exec(link);
      if (m === null) continue;
      const inode = Number(m[1]);
      if (wanted !== undefined && !wanted.has(inode)) continue;
      const list = pids.get(inode);
      if (list === undefined) pids.set(inode, [pid]);
      else if (list[list.length - 1] !== pid) list.push(pid);
      owns = true;
    }
    if (owns) {
      fdCounts.set(pid, fds.length);
      try {
        commands.set(pid, readFileSync(`${root}/${pid}/comm`, 'utf8').replace(/\n$/, ''));
      } catch {
        // exited between the two reads: the pid stays, without a command
      }
    }
  }
  return { pids, commands, fdCounts };
}

/** A process's soft limit on open files (RLIMIT_NOFILE, /proc/PID/limits), null when unknown. */
export function readFdLimit(pid: number, root = '/proc'): number | null {
  let text: string;
  try {
    text = readFileSync(`${root}/${pid}/limits`, 'utf8');
  } catch {
    return null;
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (m === null || m[1] === 'unlimited') return null;
  const n = Number(m[1]);
  return Number.isInteger(n) ? n : null;
}
