// The lab hosts' keyed hash F() (RFC 6528 §3: ISN = M + F(localip, localport, remoteip,
// remoteport, secretkey)), also what SYN cookies are made of (syn-cookie.ts): FNV-1a over the
// text, seeded with the secret. A simulation needs F() to be a keyed function of the 4-tuple,
// not to resist an attacker.

/** FNV-1a over `text`, seeded with `seed`. */
export function keyedHash(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
