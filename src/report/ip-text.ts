// IP addresses as tcpdump prints them (`-n`): IPv4 dotted quads, IPv6 as BIND's inet_ntop (the
// longest zero run as `::`, embedded IPv4 forms). Used by the renderers and the Zeek log alike.

/** Dotted quad of 4 bytes at `off`. */
export function ipv4String(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** IPv6 text as tcpdump's addrtostr6 (BIND inet_ntop): longest zero run → `::`, embedded IPv4 forms. */
export function ipv6String(b: Uint8Array, off: number): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    const w = (b[off + 2 * i] << 8) | b[off + 2 * i + 1];
    if (w === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    if (
      i === 6 &&
      bestBase === 0 &&
      (bestLen === 6 || (bestLen === 5 && b[off + 10] === 0xff && b[off + 11] === 0xff))
    ) {
      s += ipv4String(b, off + 12);
      return s;
    }
    s += ((b[off + 2 * i] << 8) | b[off + 2 * i + 1]).toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) s += ':';
  return s;
}
