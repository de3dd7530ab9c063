// An endpoint as text: `ip:port`, an IPv6 address in brackets (`[fd77::1]:5001`) as ss, Wireshark
// and RFC 3986 §3.2.2 write it, so the port never reads as part of the address.

export function ipPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
