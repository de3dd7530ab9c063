// Zeek's `likely_server_ports` as a default Zeek run (no `-b`) registers it: every script under
// base/protocols (and the base tunnel and packet-analysis scripts) adds its well-known server
// ports with `redef likely_server_ports += { … }`. Zeek's TCP analyzer consults the TCP half when
// a connection's first segment is not a plain SYN, to guess which side is the server
// (PRODUCT.md "Orientation"; src/track/orientation.ts applies the rule). Shipped as data so the
// core stays pure; restated from Zeek's scripts, not copied.

/** TCP ports of a default Zeek run's likely_server_ports, grouped by the script that adds them. */
export const ZEEK_LIKELY_SERVER_TCP_PORTS: readonly number[] = [
  // dce-rpc
  135,
  // dnp3
  20000,
  // dns
  53,
  // ftp
  21, 2811,
  // http
  80, 81, 631, 1080, 3128, 8000, 8080, 8888,
  // imap
  143,
  // irc
  6666, 6667, 6668, 6669,
  // krb
  88,
  // ldap
  389, 3268,
  // modbus
  502,
  // mqtt
  1883,
  // mysql
  1434, 3306,
  // ntp
  123,
  // pop3
  110,
  // postgresql
  5432,
  // rdp
  3389,
  // redis
  6379,
  // smb
  139, 445,
  // smtp
  25, 587,
  // socks
  1080,
  // ssh
  22,
  // ssl / tls
  443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223,
  // xmpp
  5222, 5269,
];

/** A port set as a 65 536-bit table: one lookup per new connection, no allocation. */
export class PortSet {
  private readonly bits = new Uint8Array(8192);

  constructor(ports: Iterable<number> = []) {
    for (const p of ports) this.add(p);
  }

  add(port: number): void {
    if (port >= 0 && port <= 0xffff) this.bits[port >>> 3]! |= 1 << (port & 7);
  }

  has(port: number): boolean {
    return port >= 0 && port <= 0xffff && (this.bits[port >>> 3]! & (1 << (port & 7))) !== 0;
  }
}

/** The TCP likely_server_ports of a default Zeek run. */
export const DEFAULT_LIKELY_SERVER_PORTS: PortSet = new PortSet(ZEEK_LIKELY_SERVER_TCP_PORTS);
