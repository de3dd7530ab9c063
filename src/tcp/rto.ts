// The retransmission timeout (RFC 6298): SRTT/RTTVAR smoothing, Karn's rule (the caller only
// samples segments never retransmitted), exponential backoff (§5.5) and the give-up count.
// Linux's bounds are the defaults: RTO_MIN 200 ms (RFC 6298 §2.4 says 1 s; Linux uses
// 200 ms), RTO_MAX 120 s, initial RTO 1 s (§2.1, RFC 6298 since 2011).

export interface RtoConfig {
  initialRtoUs: number;
  minRtoUs: number;
  maxRtoUs: number;
  /** 'linux': RTO = SRTT + max(4·RTTVAR, rto_min) (tcp_set_rto), rather than max(SRTT + 4·RTTVAR, min). */
  stack?: 'rfc9293' | 'linux';
}

/** Clock granularity G of RFC 6298 §2 (1 ms: Linux's jiffies at HZ=1000). */
const GRANULARITY_US = 1000;

export class RtoEstimator {
  /** Smoothed RTT (µs), or -1 before the first sample. */
  srtt = -1;
  rttvar = 0;
  /** The base RTO before backoff (µs). */
  private base: number;
  /** Consecutive timeouts since the last new acknowledgment (the backoff exponent). */
  backoff = 0;

  constructor(private readonly config: RtoConfig) {
    this.base = config.initialRtoUs;
  }

  /** One RTT measurement R (µs), RFC 6298 §2.2–2.3. */
  sample(rttUs: number): void {
    const r = Math.max(0, rttUs);
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    if (this.config.stack === 'linux') {
      // Linux __tcp_set_rto: rttvar_us is kept at least rto_min, so RTO ≥ SRTT + rto_min.
      const rto = Math.round(this.srtt + Math.max(4 * this.rttvar, this.config.minRtoUs));
      this.base = Math.min(this.config.maxRtoUs, rto);
      return;
    }
    const rto = Math.round(this.srtt + Math.max(GRANULARITY_US, 4 * this.rttvar));
    this.base = Math.min(this.config.maxRtoUs, Math.max(this.config.minRtoUs, rto));
  }

  /** The current timeout with backoff applied (§5.5), capped at the maximum. */
  current(): number {
    return Math.min(this.config.maxRtoUs, this.base * 2 ** this.backoff);
  }

  /** The timer expired: back off (§5.5). */
  timedOut(): void {
    this.backoff++;
  }

  /** New data was acknowledged: the backoff ends (§5.7 keeps the backed-off value only until then). */
  acknowledged(): void {
    this.backoff = 0;
  }
}
