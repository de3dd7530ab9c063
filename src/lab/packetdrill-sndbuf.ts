// A socket's send buffer as Linux accounts it, for write() and its blocking (the packetdrill
// runner's socket layer; the endpoint itself queues whatever it is given). Linux keeps written
// data in sk_buffs of up to size_goal bytes (tcp_xmit_size_goal: the largest TSO/GSO segment,
// bounded by half the peer's largest window, tcp_bound_to_half_wnd) and charges each its
// truesize — payload plus the buffer's own overhead — to sk_wmem_queued. tcp_sendmsg starts a
// new buffer only while sk_wmem_queued < SO_SNDBUF (sk_stream_memory_free), so it can go over
// the limit by one buffer; transmitting part of a buffer splits it (tso_fragment: a new buffer,
// a new overhead); an ACK frees the buffers it covers and trims the one it cuts; a blocked
// writer wakes when free space is half of what is queued (sk_stream_write_space). Pure.

import type { TcpEndpoint } from '../tcp/endpoint.js';
import { seqDiff } from '../tcp/seq.js';

/**
 * The truesize overhead of one TCP sk_buff beyond its payload: struct sk_buff and
 * skb_shared_info (cache-line aligned) and the MAX_TCP_HEADER head, about 1 KiB on x86-64.
 */
export const SKB_OVERHEAD = 1024;
/** GSO_MAX_SIZE: the largest super-segment a device takes (tun, veth). */
const GSO_MAX_SIZE = 65536;

interface Skb {
  /** Data offsets (bytes since the first byte written). */
  start: number;
  end: number;
  /** Some of it was transmitted: nothing more is appended to it. */
  sent: boolean;
}

export class SendBuffer {
  private skbs: Skb[] = [];
  private written = 0;

  constructor(readonly limit: number) {}

  /** Splits at what the endpoint has sent, frees and trims what it had acknowledged. */
  sync(ep: TcpEndpoint): void {
    const base = (ep.iss + 1) >>> 0;
    const una = Math.max(0, seqDiff(ep.sndUna, base));
    const max = Math.min(this.written, Math.max(0, seqDiff(ep.sndMax, base)));
    for (let i = 0; i < this.skbs.length; i++) {
      const k = this.skbs[i];
      if (k.end <= max) k.sent = true;
      else if (k.start < max) {
        this.skbs.splice(
          i,
          1,
          { start: k.start, end: max, sent: true },
          { start: max, end: k.end, sent: false },
        );
        break;
      } else break;
    }
    this.skbs = this.skbs.filter((k) => k.end > una);
    if (this.skbs.length > 0 && this.skbs[0].start < una) this.skbs[0].start = una;
  }

  /** sk_wmem_queued: payload plus each buffer's overhead. */
  get queued(): number {
    let q = 0;
    for (const k of this.skbs) q += k.end - k.start + SKB_OVERHEAD;
    return q;
  }

  /** sk_stream_write_space's test for waking a blocked writer. */
  get writable(): boolean {
    const q = this.queued;
    return q < this.limit && this.limit - q >= q / 2;
  }

  /**
   * Copies up to `n` bytes as tcp_sendmsg does, handing each piece to `send` (the endpoint,
   * which transmits what its windows allow at once). Returns how many were taken; fewer than
   * `n` when the buffer is full.
   */
  write(n: number, ep: TcpEndpoint, mss: number, send: (bytes: number) => void): number {
    const half = Math.max(1, ep.peerMaxWindow >>> 1);
    const sizeGoal = Math.max(mss, Math.floor(Math.min(GSO_MAX_SIZE, half) / mss) * mss);
    let copied = 0;
    while (copied < n) {
      this.sync(ep);
      let tail = this.skbs[this.skbs.length - 1];
      if (!tail || tail.sent || tail.end - tail.start >= sizeGoal) {
        if (this.queued >= this.limit) break;
        tail = { start: this.written, end: this.written, sent: false };
        this.skbs.push(tail);
      }
      const take = Math.min(sizeGoal - (tail.end - tail.start), n - copied);
      tail.end += take;
      this.written += take;
      copied += take;
      send(take);
    }
    this.sync(ep);
    return copied;
  }
}
