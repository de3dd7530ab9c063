// English phrasebook of `synack explain`: one sentence per row of the RFC 9293 transition table
// (src/tcp/transitions.ts) and per analysis event kind (src/track/kinds.ts), plus the segment,
// data-run and summary sentences. explain.ts decides what to say; this file only says it.

import type { StateName } from '../tcp/state.js';
import type { EventCtx, Phrasebook, SegmentCtx, TransitionCtx } from './explain-phrasebook.js';
import type { Side } from './timeline.js';

const who = (s: Side) => (s === 'orig' ? 'the client' : 'the server');
const Who = (s: Side) => (s === 'orig' ? 'The client' : 'The server');
const peer = (s: Side) => (s === 'orig' ? 'the server' : 'the client');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What each state means, for sentences about a RST or an abort in that state. */
const GLOSS: Record<StateName, string> = {
  CLOSED: 'no connection',
  LISTEN: 'waiting for connections',
  SYN_SENT: 'waiting for the answer to its SYN',
  SYN_RECEIVED: 'in the middle of the handshake',
  ESTABLISHED: 'with the connection open',
  FIN_WAIT_1: 'having sent its FIN, not yet acknowledged',
  FIN_WAIT_2: 'its FIN acknowledged, waiting for the peer to close',
  CLOSE_WAIT: 'the peer has closed, its own application has not yet',
  CLOSING: 'both FINs sent, its own not yet acknowledged',
  LAST_ACK: 'waiting for the ACK of its FIN',
  TIME_WAIT: 'waiting out TIME_WAIT',
  UNKNOWN: 'in a state the capture does not show',
};

const rstIn = (c: TransitionCtx) =>
  `${Who(c.who)} accepts the RST in ${c.from} (${GLOSS[c.from]}) and drops the connection at once: CLOSED, with any data still queued thrown away.`;
const abortIn = (c: TransitionCtx) =>
  `${Who(c.who)} aborts the connection from ${c.from} (${GLOSS[c.from]}): it sends RST instead of FIN and goes straight to CLOSED, discarding unsent data.`;
const giveUpIn = (c: TransitionCtx) =>
  `${Who(c.who)} gives up in ${c.from}: its retransmissions went unanswered for too long, and it drops the connection (CLOSED).`;

const transitions: Phrasebook['transitions'] = {
  'CLOSED open-passive LISTEN': (c) =>
    `${Who(c.who)} opens a listening socket: LISTEN, ready to accept connections.`,
  'CLOSED open-active SYN_SENT': (c) =>
    `${Who(c.who)} moves from CLOSED to SYN_SENT: it has asked for a connection and waits for the answer.`,
  'LISTEN open-active SYN_SENT': (c) =>
    `${Who(c.who)} turns its listening socket into an active open: from LISTEN to SYN_SENT.`,
  'LISTEN rcv-syn SYN_RECEIVED': (c) =>
    `${Who(c.who)} receives the SYN and moves from LISTEN to SYN_RECEIVED; until the third segment of the handshake arrives, this is a half-open connection.`,
  'LISTEN close CLOSED': (c) => `${Who(c.who)} stops listening: from LISTEN to CLOSED.`,
  'SYN_SENT rcv-syn-ack ESTABLISHED': (c) =>
    `${Who(c.who)} receives the SYN+ACK that acknowledges its SYN and moves from SYN_SENT to ESTABLISHED: for ${who(c.who)} the connection is open.`,
  'SYN_SENT rcv-syn SYN_RECEIVED': (c) =>
    `${Who(c.who)} receives a SYN while its own SYN is still unanswered — a simultaneous open — and moves from SYN_SENT to SYN_RECEIVED.`,
  'SYN_SENT close CLOSED': (c) =>
    `${Who(c.who)} abandons its connection attempt: from SYN_SENT back to CLOSED.`,
  'SYN_SENT abort CLOSED': (c) => `${Who(c.who)} aborts its connection attempt: from SYN_SENT to CLOSED.`,
  'SYN_SENT rcv-rst CLOSED': (c) =>
    `${Who(c.who)} receives a RST in answer to its SYN: the connection is refused (nobody listens on that port), and it goes from SYN_SENT to CLOSED.`,
  'SYN_SENT timeout-give-up CLOSED': (c) =>
    `${Who(c.who)} gives up after its SYN retransmissions went unanswered: from SYN_SENT to CLOSED (connect() times out).`,
  'SYN_RECEIVED rcv-ack-of-syn ESTABLISHED': (c) =>
    c.synAck
      ? `${Who(c.who)} receives ${peer(c.who)}'s SYN+ACK, which acknowledges its own SYN, and moves from SYN_RECEIVED to ESTABLISHED: the simultaneous open is complete.`
      : `${Who(c.who)} receives the ACK of its SYN, the third step of the three-way handshake, and moves from SYN_RECEIVED to ESTABLISHED.`,
  'SYN_RECEIVED rcv-fin CLOSE_WAIT': (c) =>
    `${Who(c.who)} receives, in one segment, the ACK that completes the handshake and the peer's FIN: from SYN_RECEIVED through ESTABLISHED straight to CLOSE_WAIT.`,
  'SYN_RECEIVED close FIN_WAIT_1': (c) =>
    `${Who(c.who)} closes before the handshake has finished: it sends FIN and moves from SYN_RECEIVED to FIN_WAIT_1.`,
  'SYN_RECEIVED rcv-rst LISTEN': (c) =>
    `${Who(c.who)} accepts the RST in SYN_RECEIVED and, having opened passively, drops the half-open connection and returns to LISTEN (RFC 9293 §3.10.7.4).`,
  'SYN_RECEIVED rcv-rst CLOSED': (c) =>
    `${Who(c.who)} accepts the RST in SYN_RECEIVED and, having opened actively, goes to CLOSED.`,
  'SYN_RECEIVED rcv-syn LISTEN': (c) =>
    `${Who(c.who)} receives a new SYN in the window while in SYN_RECEIVED: the first SYN was an old duplicate, so it drops that half-open connection and returns to LISTEN.`,
  'SYN_RECEIVED abort CLOSED': (c) =>
    `${Who(c.who)} aborts the half-open connection: it sends RST and moves from SYN_RECEIVED to CLOSED.`,
  'SYN_RECEIVED timeout-give-up CLOSED': (c) =>
    `${Who(c.who)} gives up on the half-open connection after its SYN+ACK retransmissions went unanswered: from SYN_RECEIVED to CLOSED.`,
  'ESTABLISHED close FIN_WAIT_1': (c) =>
    `${Who(c.who)} is the first to close (active close): it sends FIN and moves from ESTABLISHED to FIN_WAIT_1.`,
  'ESTABLISHED rcv-fin CLOSE_WAIT': (c) =>
    `${Who(c.who)} receives the FIN, acknowledges it and moves from ESTABLISHED to CLOSE_WAIT: the connection is half-closed, ${peer(c.who)} sends nothing more but ${who(c.who)} may still send until its application closes.`,
  'FIN_WAIT_1 rcv-ack-of-fin FIN_WAIT_2': (c) =>
    `${Who(c.who)} sees its FIN acknowledged and moves from FIN_WAIT_1 to FIN_WAIT_2: it now waits for ${peer(c.who)}'s FIN.`,
  'FIN_WAIT_1 rcv-fin CLOSING': (c) =>
    `${Who(c.who)} receives ${peer(c.who)}'s FIN before its own FIN was acknowledged — the FINs crossed, a simultaneous close — and moves from FIN_WAIT_1 to CLOSING.`,
  'FIN_WAIT_1 rcv-fin-ack-of-fin TIME_WAIT': (c) =>
    `${Who(c.who)} receives a FIN that also acknowledges its own FIN, so it skips FIN_WAIT_2 and moves from FIN_WAIT_1 straight to TIME_WAIT, where it stays ${c.timeWait}.`,
  'FIN_WAIT_2 rcv-fin TIME_WAIT': (c) =>
    `${Who(c.who)} receives ${peer(c.who)}'s FIN in FIN_WAIT_2, acknowledges it and enters TIME_WAIT for ${c.timeWait}, in case its last ACK is lost and the FIN comes again.`,
  'FIN_WAIT_2 rcv-fin-ack-of-fin TIME_WAIT': (c) =>
    `${Who(c.who)} receives ${peer(c.who)}'s FIN in FIN_WAIT_2, acknowledges it and enters TIME_WAIT for ${c.timeWait}.`,
  'FIN_WAIT_2 timeout-fin-wait-2 CLOSED': (c) =>
    `${Who(c.who)} waited in FIN_WAIT_2 longer than Linux's tcp_fin_timeout without ${peer(c.who)}'s FIN, and drops the orphaned socket: CLOSED.`,
  'CLOSING rcv-ack-of-fin TIME_WAIT': (c) =>
    `${Who(c.who)} sees its FIN acknowledged in CLOSING and moves to TIME_WAIT for ${c.timeWait}.`,
  'CLOSE_WAIT close LAST_ACK': (c) =>
    `${Who(c.who)}'s application closes too: it sends its FIN and moves from CLOSE_WAIT to LAST_ACK, waiting for the last acknowledgment.`,
  'LAST_ACK rcv-ack-of-fin CLOSED': (c) =>
    `${Who(c.who)} receives the ACK of its FIN and moves from LAST_ACK to CLOSED: for ${who(c.who)} the connection is over.`,
  'TIME_WAIT timeout-time-wait CLOSED': (c) =>
    `${Who(c.who)}'s TIME_WAIT of ${c.timeWait} runs out: CLOSED, and the port pair may be used again.`,
  'TIME_WAIT rcv-syn SYN_RECEIVED': (c) =>
    `${Who(c.who)} receives a new SYN on the same port pair while in TIME_WAIT and accepts it as a new connection: from TIME_WAIT to SYN_RECEIVED.`,
  'TIME_WAIT rcv-syn-reuse CLOSED': (c) =>
    `${Who(c.who)} receives a SYN with a higher sequence number while in TIME_WAIT and, as Linux does, ends the old connection (CLOSED) so that a new one can take the same port pair.`,
  'ESTABLISHED rcv-rst CLOSED': rstIn,
  'FIN_WAIT_1 rcv-rst CLOSED': rstIn,
  'FIN_WAIT_2 rcv-rst CLOSED': rstIn,
  'CLOSE_WAIT rcv-rst CLOSED': rstIn,
  'CLOSING rcv-rst CLOSED': rstIn,
  'LAST_ACK rcv-rst CLOSED': rstIn,
  'ESTABLISHED abort CLOSED': abortIn,
  'FIN_WAIT_1 abort CLOSED': abortIn,
  'FIN_WAIT_2 abort CLOSED': abortIn,
  'CLOSE_WAIT abort CLOSED': abortIn,
  'CLOSING abort CLOSED': abortIn,
  'LAST_ACK abort CLOSED': abortIn,
  'TIME_WAIT rcv-rst CLOSED': (c) =>
    `${Who(c.who)} accepts a RST in TIME_WAIT and leaves it early: CLOSED (the "TIME_WAIT assassination" of RFC 1337).`,
  'TIME_WAIT abort CLOSED': (c) => `${Who(c.who)} discards its TIME_WAIT socket: CLOSED.`,
  'LISTEN abort CLOSED': (c) => `${Who(c.who)} closes its listening socket: from LISTEN to CLOSED.`,
  'FIN_WAIT_1 timeout-give-up CLOSED': giveUpIn,
  'LAST_ACK timeout-give-up CLOSED': giveUpIn,
  'CLOSING timeout-give-up CLOSED': giveUpIn,
  'ESTABLISHED timeout-give-up CLOSED': giveUpIn,
  'CLOSE_WAIT timeout-give-up CLOSED': giveUpIn,
};

const retrans = (what: string) => (c: EventCtx) =>
  c.count > 1
    ? `${c.count} segments here are ${what}s; the first, frame ${c.frame}, came ${c.since ?? 'some time'} after the original.`
    : `This is a ${what}: ${who(c.who)} sent the same bytes ${c.since ? `${c.since} earlier` : 'before'}.`;

const events: Phrasebook['events'] = {
  retransmission: (c) =>
    c.count > 1
      ? `${c.count} segments here are retransmissions; the first, frame ${c.frame}, came ${c.since ?? 'some time'} after the original.`
      : c.since
        ? `This is a retransmission: ${who(c.who)} sent the same bytes ${c.since} earlier and no acknowledgment came back in time.`
        : `Wireshark marks frame ${c.frame} as a retransmission, yet the capture holds no earlier copy of these bytes: an earlier segment claiming to come from ${who(c.who)} carried a higher sequence number (a forged RST, for instance).`,
  'fast-retransmission': (c) =>
    `${retrans('fast retransmission')(c)} ${Who(c.who)} resent after duplicate ACKs told it a segment was missing, without waiting for its timer.`,
  'spurious-retransmission': (c) =>
    `${retrans('spurious retransmission')(c)} The receiver had already acknowledged these bytes: they went twice for nothing.`,
  'out-of-order': (c) =>
    c.count > 1
      ? `${c.count} segments arrived out of order (the first at frame ${c.frame}).`
      : 'This segment is out of order: it comes after a segment with a higher sequence number.',
  'previous-segment-not-captured': (c) =>
    c.count > 1
      ? `${c.count} times the capture has a gap before a segment (first at frame ${c.frame}): bytes were lost before the tap or not captured.`
      : 'Bytes before this segment are missing from the capture: lost before the tap, or not captured.',
  'acked-unseen-segment': (c) =>
    c.count > 1
      ? `${c.count} acknowledgments cover bytes the capture never showed (first at frame ${c.frame}).`
      : 'This acknowledges bytes the capture never showed: they passed without being captured.',
  'dup-ack': (c) =>
    c.count > 1
      ? `${plural(c.count, 'duplicate ACK')}: the receiver repeats its last acknowledgment while a segment is missing; three in a row make the sender retransmit at once.`
      : `A duplicate ACK: ${who(c.who)} repeats its last acknowledgment because a segment is missing (or, during the handshake, because the same SYN+ACK came twice).`,
  'zero-window': (c) =>
    `${Who(c.who)} advertises a zero window: its receive buffer is full and ${peer(c.who)} must stop sending until it reopens${c.count > 1 ? ` (${c.count} times)` : ''}.`,
  'zero-window-probe': (c) =>
    `A zero-window probe: ${who(c.who)} checks whether ${peer(c.who)}'s window has reopened${c.belowSent ? ', with an empty segment one byte below what it already sent (as Linux does)' : ''}.`,
  'zero-window-probe-ack': (c) => `${Who(c.who)} answers the zero-window probe with its current window.`,
  'keep-alive': (c) =>
    c.intoZeroWindow
      ? `Wireshark calls this a keep-alive (an empty segment${c.belowSent ? ' one byte below what was already sent' : ''}), but ${peer(c.who)}'s window is zero: it is not a keep-alive.`
      : `A keep-alive: after a quiet spell ${who(c.who)} sends a segment${c.belowSent ? ' one byte below what it already sent' : ''} to make ${peer(c.who)} prove it is still there.`,
  'keep-alive-ack': (c) => `${Who(c.who)} answers the keep-alive: the connection is still alive at that end.`,
  'window-update': (c) =>
    c.count > 1
      ? `${c.count} window updates: segments with no new data that only announce a larger receive window.`
      : `A window update: ${who(c.who)} sends no data, only a larger receive window, so ${peer(c.who)} may send more.`,
  'window-full': (c) =>
    `This segment fills the window ${peer(c.who)} advertised: ${who(c.who)} must now wait for an acknowledgment before sending more.`,
  'port-reuse': () =>
    `Port reuse: this SYN uses the same addresses and ports as an earlier connection in the capture, so a new connection begins on the old port pair.`,
  'syn-retransmission': (c) =>
    `${Who(c.who)} sends its SYN again${c.since ? ` ${c.since} after the first` : ''}: no SYN+ACK came back, so the SYN or its answer was lost.`,
  'synack-retransmission': (c) =>
    c.afterSyn
      ? `Its SYN+ACK repeats the sequence number of its own SYN (sent ${c.since} earlier), as every simultaneous open does: Wireshark counts it as a retransmission of that SYN, but nothing was lost.`
      : `${Who(c.who)} retransmits its SYN+ACK${c.since ? ` after ${c.since}` : ''}: ${peer(c.who)}'s ACK never arrived.`,
  'handshake-ack-lost': (c) =>
    `The third segment of the handshake was lost: ${peer(c.who)} already believes the connection is ESTABLISHED, while ${who(c.who)} is still in SYN_RECEIVED — a half-open connection.`,
  'simultaneous-open': () =>
    'Both sides sent a SYN without ACK: a simultaneous open. Each answers the other with SYN+ACK and passes through SYN_RECEIVED; the handshake takes four segments.',
  'simultaneous-close': () =>
    'Both sides sent a FIN before receiving the other’s: a simultaneous close. Each goes through CLOSING and both end in TIME_WAIT.',
  'half-close': (c) =>
    `A half-close at work: ${who(c.who)} still sends data after ${peer(c.who)}'s FIN — ${peer(c.who)} has finished sending but still receives.`,
  'rst-out-of-window': (c) =>
    `This RST's sequence number lies outside ${peer(c.who)}'s receive window, so ${peer(c.who)} ignores it and its state does not change.`,
  'rst-challenge-ack': (c) =>
    `A challenge ACK (RFC 5961 §3): the RST fell inside the window but not exactly at the expected sequence number, so ${who(c.who)} answers with an ACK instead of closing; only a RST at exactly that number would be accepted.`,
  'rst-suspect-forged': (c) => {
    const exact = c.exactSeq ? ` carries exactly the sequence number ${peer(c.who)} expects, but its` : `'s`;
    if (c.ttl !== undefined && c.otherTtls && c.otherTtls.length > 0 && !c.otherTtls.includes(c.ttl))
      return `This RST${exact} TTL (${c.ttl}) differs from every other segment of ${who(c.who)} (TTL ${c.otherTtls.join(', ')}): it was probably forged by a third party.`;
    return `This RST does not fit ${who(c.who)}'s other segments (TTL, IP ID, DF bit or options, or ${who(c.who)} goes on sending after it): it was probably forged.`;
  },
  'window-probe': (c) =>
    c.len === 0
      ? `A window probe: ${peer(c.who)}'s window is 0, so ${who(c.who)} sends an empty segment${c.belowSent ? ' one byte below what it already sent (Linux’s probe)' : ''} to make ${peer(c.who)} announce its window.`
      : `A window probe: ${peer(c.who)}'s window is 0, so ${who(c.who)} pushes ${plural(c.len, 'byte')} past it to make ${peer(c.who)} announce its window.`,
};

function segment(c: SegmentCtx): string {
  const at = `[${c.time} s, frame ${c.frame}]`;
  const W = Who(c.who);
  const nums = `seq=${c.relSeq}${c.ack ? `, ack=${c.relAck}` : ''}`;
  const data = c.len > 0 ? `, carrying ${plural(c.len, 'byte')}` : '';
  if (c.rst && c.forged)
    return `${at} A ${c.flags} arrives that claims to come from ${who(c.who)} (${nums}).`;
  if (c.rst && c.refusal) return `${at} ${W} answers the SYN with ${c.flags} (${nums}).`;
  if (c.again && c.syn)
    return `${at} ${c.flags} from ${who(c.who)} once more: seq=0 (the same ISN, ${c.seq})${c.ack ? `, ack=${c.relAck}` : ''}.`;
  if (c.rst)
    return `${at} ${W} sends ${c.flags} (${nums}): it aborts the connection instead of closing it; a RST is never answered.`;
  if (c.syn && !c.ack) {
    const sim = c.of === 4 ? ` (simultaneous open, step ${c.step} of 4)` : ' (three-way handshake, step 1)';
    return `${at} ${W} sends SYN${sim} with seq=0: its initial sequence number (ISN) is ${c.seq}. A SYN carries no data but consumes one sequence number.`;
  }
  if (c.syn)
    return `${at} ${W} answers with SYN+ACK (${c.of === 4 ? `simultaneous open, step ${c.step} of 4` : 'three-way handshake, step 2'}): ack=${c.relAck} (${peer(c.who)}'s ISN + 1) acknowledges the SYN, and seq=0 announces its own ISN, ${c.seq}.`;
  if (c.fin) {
    const step = c.step > 0 ? ` (teardown, step ${c.step} of ${c.of})` : '';
    const merged =
      c.of === 3 && c.step === 2
        ? ` It acknowledges ${peer(c.who)}'s FIN and closes its own side in the same segment, so the teardown takes three segments instead of four.`
        : ' It has no more data to send; a FIN consumes one sequence number.';
    return `${at} ${W} sends ${c.flags}${step}, ${nums}${data}.${merged}`;
  }
  if (c.roleKind === 'handshake')
    return `${at} ${W} acknowledges ${peer(c.who)}'s SYN with ACK ack=${c.relAck} (${peer(c.who)}'s ISN + 1), the third step of the three-way handshake${data}.`;
  if (c.roleKind === 'teardown')
    return `${at} ${W} acknowledges ${peer(c.who)}'s FIN with ack=${c.relAck} (teardown, step ${c.step} of ${c.of})${data}.`;
  if (c.len > 0)
    return `${at} ${W} sends ${plural(c.len, 'byte')} of data (seq=${c.relSeq} to ${c.relSeq + c.len - 1}${c.ack ? `, ack=${c.relAck}` : ''}).`;
  return `${at} ${W} sends ${c.flags} with ${nums} and no data.`;
}

const HANDSHAKE: Record<string, string> = {
  complete: 'the three-way handshake completed',
  simultaneous: 'the connection opened by a simultaneous open',
  refused: 'the connection was refused (SYN answered by RST)',
  incomplete: 'the handshake never completed',
  unseen: 'the capture starts after the handshake',
};
const CLOSE: Record<string, string> = {
  orig: 'the client closed first (active close)',
  resp: 'the server closed first (active close)',
  'orig-reset': 'the client reset the connection',
  'resp-reset': 'the server reset the connection',
  both: 'both sides closed at the same time (simultaneous close)',
  none: 'nobody closed it within the capture',
};

export const EN: Phrasebook = {
  lang: 'en',
  joiner: ' ',
  intro: (c) =>
    `Connection ${c.id}: client ${c.client} → server ${c.server}, ${plural(c.packets, 'packet')} over ${c.duration}. ${
      c.initial.orig === 'UNKNOWN' && c.initial.resp === 'UNKNOWN'
        ? 'The capture starts in the middle of the connection: neither end’s state is known yet (UNKNOWN).'
        : `At the start the client is in ${c.initial.orig} and the server in ${c.initial.resp}.`
    }`,
  segment,
  placed: (c) =>
    c.from === 'UNKNOWN'
      ? `From this segment on, only one state fits what ${who(c.who)} has sent and received: ${c.to}.`
      : `${Who(c.who)} moves from ${c.from} to ${c.to}.`,
  transitions,
  events,
  lost: (c) =>
    `This segment never reached ${peer(c.who)}: it was lost on the way, so ${peer(c.who)}'s state does not change.`,
  dataRun: (c) => {
    const parts: string[] = [];
    if (c.segments.orig > 0)
      parts.push(`the client sends ${c.bytes.orig} bytes in ${plural(c.segments.orig, 'segment')}`);
    if (c.segments.resp > 0)
      parts.push(`the server sends ${c.bytes.resp} bytes in ${plural(c.segments.resp, 'segment')}`);
    if (parts.length === 0 && (c.acksBy.orig === 0 || c.acksBy.resp === 0)) {
      const side = c.acksBy.orig > 0 ? 'client' : 'server';
      return `[${c.time} s${c.duration ? `, ${c.duration}` : ''}] The ${side} sends ${plural(c.acks, 'pure ACK')}.`;
    }
    const acks =
      c.acks > 0
        ? `${parts.length > 0 ? ', with' : ' The peers exchange'} ${plural(c.acks, 'pure ACK')}`
        : '';
    const what = parts.length > 0 ? ` Data: ${parts.join(' and ')}` : '';
    return `[${c.time} s${c.duration ? `, ${c.duration}` : ''}]${what}${acks}.`;
  },
  timeWaitExpired: (c) =>
    `${Who(c.who)} leaves TIME_WAIT within the capture (CLOSED): its ${c.timeWait} ran out, or a new SYN on the same port pair took it over, as Linux allows for a SYN with a higher sequence number.`,
  summary: (c) => {
    const parts: string[] = [];
    if (c.handshake) parts.push(HANDSHAKE[c.handshake] + (c.rtt ? ` (round trip ${c.rtt})` : ''));
    if (c.close) parts.push(CLOSE[c.close]);
    let s = parts.length > 0 ? `In short: ${parts.join('; ')}. ` : '';
    s += `Final states: client ${c.final.orig}, server ${c.final.resp}.`;
    for (const side of ['orig', 'resp'] as const) {
      if (c.final[side] === 'TIME_WAIT' && !c.timeWaitRanOut[side])
        s += ` ${Who(side)} stays in TIME_WAIT for ${c.timeWait} after its last ACK (2×MSL in RFC 9293; Linux uses 60 s) before the port pair can be reused.`;
      if (c.final[side] === 'CLOSE_WAIT')
        s += ` ${Who(side)} is left in CLOSE_WAIT: its application never closed the socket — the classic descriptor leak.`;
    }
    if (c.connState) s += ` Zeek would log conn_state ${c.connState}, history ${c.history}.`;
    return s;
  },
};
