// English phrasebook of `synack explain`: one sentence per row of the RFC 9293 transition table
// (src/tcp/transitions.ts) and per analysis event kind (src/track/kinds.ts), plus the segment,
// data-run and summary sentences. explain.ts decides what to say; this file only says it.

import type { StateName } from '../tcp/state.js';
import type {
  EventCtx,
  FindingCtx,
  LostCtx,
  Phrasebook,
  SegmentCtx,
  SocketCall,
  TransitionCtx,
} from './explain-types.js';
import type { Side } from './timeline.js';

const who = (s: Side) => (s === 'orig' ? 'the client' : 'the server');
const Who = (s: Side) => (s === 'orig' ? 'The client' : 'The server');
const peer = (s: Side) => (s === 'orig' ? 'the server' : 'the client');
const otherSideOf = (s: Side): Side => (s === 'orig' ? 'resp' : 'orig');
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
    c.simultaneous
      ? `${Who(c.who)} closes at the same moment as ${peer(c.who)}: it sends FIN and moves from ESTABLISHED to FIN_WAIT_1 before ${peer(c.who)}'s FIN reaches it.`
      : `${Who(c.who)} is the first to close (active close): it sends FIN and moves from ESTABLISHED to FIN_WAIT_1.`,
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
    `${Who(c.who)} sends its SYN again (copy ${c.copy ?? 2})${c.since ? `, ${c.since} after the previous one${c.sinceFirst ? ` (${c.sinceFirst} after the first)` : ''}` : ''}: no SYN+ACK came back in time. The SYN timer starts at 1 s and doubles with each retry (1 s, 2 s, 4 s, …).`,
  'synack-retransmission': (c) =>
    c.afterSyn
      ? `Its SYN+ACK repeats the sequence number of its own SYN (sent ${c.since} earlier), as every simultaneous open does: Wireshark counts it as a retransmission of that SYN, but nothing was lost.`
      : `${Who(c.who)} retransmits its SYN+ACK${c.since ? ` after ${c.since}` : ''}: no ACK of it came back in time.`,
  'handshake-ack-lost': () =>
    'The third segment of the handshake was lost: the side that sent it already believes the connection is ESTABLISHED, while its peer is still in SYN_RECEIVED — a half-open connection.',
  'simultaneous-open': () =>
    'Both sides sent a SYN without ACK: a simultaneous open. Each answers the other with SYN+ACK and passes through SYN_RECEIVED; the handshake takes four segments.',
  'simultaneous-close': () =>
    'Both sides sent a FIN before receiving the other’s: a simultaneous close. Each goes through CLOSING and both end in TIME_WAIT.',
  'half-close': (c) =>
    `A half-close at work: ${who(c.who)} still sends data after ${peer(c.who)}'s FIN — ${peer(c.who)} has finished sending but still receives.`,
  'rst-out-of-window': (c) =>
    c.toListener
      ? `${Who(c.who === 'orig' ? 'resp' : 'orig')} is in LISTEN, and a listener ignores every RST (RFC 9293 §3.10.7.2): its state does not change.`
      : `This RST's sequence number lies outside ${peer(c.who)}'s receive window, so ${peer(c.who)} ignores it and its state does not change.`,
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

function segmentOnly(c: SegmentCtx): string {
  const at = `[${c.time} s, frame ${c.frame}]`;
  const W = Who(c.who);
  const nums = `seq=${c.relSeq}${c.ack ? `, ack=${c.absAck ? c.ack_ : c.relAck}` : ''}`;
  const data = c.len > 0 ? `, carrying ${plural(c.len, 'byte')}` : '';
  if (c.rst) {
    switch (c.rstReading) {
      case 'forged':
        return `${at} A ${c.flags} arrives that claims to come from ${who(c.who)} (${nums}).`;
      case 'refusal':
        return `${at} ${W} answers the SYN with ${c.flags}: seq=${c.seq}${c.ack ? `, ack=${c.ack_} (the SYN's ISN + 1)` : ''}. A RST answering a segment without ACK takes seq 0 and acknowledges the SYN (RFC 9293 §3.10.7.1): nobody listens on this port.`;
      case 'unacceptable-ack': {
        const what = c.answersAck ? 'ACK' : 'SYN+ACK';
        return `${at} ${W} sends ${c.flags} with seq=${c.seq}, the acknowledgment number of the ${what} it answers: that ${what} acknowledged a SYN ${who(c.who)} never sent in this attempt, so ${who(c.who)} rejects it (RFC 9293 §3.10.7.3) and keeps waiting in SYN_SENT.`;
      }
      case 'no-connection':
        return `${at} ${W} sends ${c.flags} (${nums}): it has no connection any more, and a segment for a connection that does not exist is answered with RST (RFC 9293 §3.10.7.1). This RST does not abort anything on ${who(c.who)}'s side; it tells ${peer(c.who)} to drop its end.`;
      case 'accept-overflow':
        return `${at} ${W} sends ${c.flags} (${nums}) in answer to ${peer(c.who)}'s ${c.refusedData ? `first data segment (${plural(c.refusedData, 'byte')}), which carried the handshake's acknowledgment,` : 'handshake ACK,'} without ACK and at exactly its acknowledgment number: ${who(c.who)} refused that acknowledgment instead of completing the handshake, and its half-open connection is gone. ${peer(c.who)[0].toUpperCase()}${peer(c.who).slice(1)}, ESTABLISHED since the SYN+ACK (its connect() had returned), accepts the RST: its next read or write fails with ECONNRESET.`;
      case 'keepalive-give-up':
        return `${at} ${W} sends ${c.flags} (${nums}): its keep-alive probes went unanswered (tcp_keepalive_probes), so it declares ${peer(c.who)} dead and drops the connection: ${who(c.who)} goes from ESTABLISHED straight to CLOSED, without TIME_WAIT. No application asked for this: its next call on the socket fails with ETIMEDOUT.`;
      default:
        return c.likeNoConnection
          ? `${at} ${W} sends ${c.flags} (${nums}) in answer to ${peer(c.who)}'s segment, without ACK and at exactly its acknowledgment number: the form a stack uses for a segment of a connection it does not have (RFC 9293 §3.10.7.1), not Linux's abort (RST+ACK). ${W} had probably lost the connection already, to a RST this capture does not show (a forged one, or from another path).`
          : `${at} ${W} sends ${c.flags} (${nums}): it aborts the connection instead of closing it; a RST is never answered.`;
    }
  }
  if (c.again && c.syn)
    return `${at} ${c.flags} from ${who(c.who)} once more: seq=0 (the same ISN, ${c.seq})${c.ack ? `, ack=${c.relAck}` : ''}.`;
  if (c.syn && !c.ack) {
    const sim = c.of === 4 ? ` (simultaneous open, step ${c.step} of 4)` : ' (three-way handshake, step 1)';
    return `${at} ${W} sends SYN${sim}: its initial sequence number (ISN) is ${c.seq} (relative seq=0). The SYN consumes one sequence number${c.len > 0 ? `, and this one carries ${plural(c.len, 'byte')} of data (TCP Fast Open, RFC 7413)` : ''}.`;
  }
  if (c.syn && c.acksSynData)
    return `${at} ${W} answers with SYN+ACK (three-way handshake, step 2): ack=${c.ack_}, ${peer(c.who)}'s ISN + 1 + ${c.acksSynData}: it acknowledges the SYN and the ${plural(c.acksSynData, 'byte')} it carried, which ${who(c.who)} has taken before the handshake is over (TCP Fast Open); its own ISN is ${c.seq} (relative seq=0).`;
  if (c.syn && c.ignoresSynData)
    return `${at} ${W} answers with SYN+ACK (three-way handshake, step 2): ack=${c.ack_}, ${peer(c.who)}'s ISN + 1 (relative ack=1): it acknowledges the SYN but not the ${plural(c.ignoresSynData, 'byte')} it carried, so ${peer(c.who)} sends them again after the handshake; its own ISN is ${c.seq} (relative seq=0).`;
  if (c.syn && c.acksOtherSyn)
    return `${at} ${W} answers with SYN+ACK (three-way handshake, step 2): ack=${c.ack_}, which is not ${peer(c.who)}'s ISN + 1: it acknowledges a SYN ${peer(c.who)} did not send in this attempt; its own ISN is ${c.seq} (relative seq=0).`;
  if (c.syn)
    return `${at} ${W} answers with SYN+ACK (${c.of === 4 ? `simultaneous open, step ${c.step} of 4` : 'three-way handshake, step 2'}): ack=${c.ack_}, ${peer(c.who)}'s ISN + 1 (relative ack=1), acknowledges the SYN, and its own ISN is ${c.seq} (relative seq=0).`;
  if (c.fin) {
    const step = c.crossingFin
      ? ' (simultaneous close: the two FINs cross)'
      : c.step > 0
        ? ` (teardown, step ${c.step} of ${c.of})`
        : '';
    const merged =
      c.of === 3 && c.step === 2 && !c.crossingFin
        ? ` It acknowledges ${peer(c.who)}'s FIN and closes its own side in the same segment, so the teardown takes three segments instead of four.`
        : c.len > 0
          ? ' Its last data and the FIN ride in one segment; the FIN consumes one sequence number after the data.'
          : ' It has no more data to send; a FIN consumes one sequence number.';
    return `${at} ${W} sends ${c.flags}${step}, ${nums}${data}.${merged}`;
  }
  if (c.roleKind === 'handshake')
    return `${at} ${W} acknowledges ${peer(c.who)}'s SYN with ACK ack=${c.ack_}, ${peer(c.who)}'s ISN + 1 (relative ack=${c.relAck}), the third step of the three-way handshake${data}.`;
  if (c.roleKind === 'teardown')
    return `${at} ${W} acknowledges ${peer(c.who)}'s FIN with ack=${c.relAck}${c.of > 0 ? ` (teardown, step ${c.step} of ${c.of})` : ''}${data}.`;
  if (c.len > 0)
    return `${at} ${W} sends ${plural(c.len, 'byte')} of data (seq=${c.relSeq} to ${c.relSeq + c.len - 1}${c.ack ? `, ack=${c.relAck}` : ''}).`;
  return `${at} ${W} sends ${c.flags} with ${nums} and no data.`;
}

/** How a segment failed to reach its receiver: lost on the way, or (a tap beside the receiver) dropped there. */
const lostHow = (c: LostCtx) =>
  c.dropped
    ? `It reached ${peer(c.who)}'s host, beside which this capture was taken, and was dropped on arrival`
    : `It was lost before reaching ${peer(c.who)}`;

const listOf = (xs: string[]) =>
  xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;

/**
 * What a SYN or SYN+ACK offers in its options, and for a SYN+ACK what the connection then uses:
 * window scaling, SACK and timestamps only when both SYNs carry them (RFC 7323 §2.2, §3.2; RFC
 * 2018 §2); TCP Fast Open's cookie request and cookie (RFC 7413 §4.1).
 */
function synOptionsText(c: SegmentCtx): string {
  const o = c.options;
  if (!o) return '';
  const out: string[] = [];
  const list: string[] = [];
  if (o.mss !== undefined) list.push(`MSS ${o.mss} (the most data ${who(c.who)} takes in one segment)`);
  if (o.wscale !== undefined)
    list.push(
      `window scale ${o.wscale} (once both agree, its window field counts in units of ${2 ** Math.min(o.wscale, 14)} bytes; a SYN's own window is never scaled)`,
    );
  if (o.sackPermitted) list.push('SACK permitted');
  if (o.timestamps) list.push('timestamps');
  if (list.length > 0) out.push(`Its options: ${list.join(', ')}.`);
  if (o.mss === undefined)
    out.push(
      `It carries no MSS option, so ${peer(c.who)} must assume 536 bytes (1220 over IPv6; RFC 9293 §3.7.1).`,
    );
  const po = c.peerOptions;
  if (c.ack && po) {
    const both: string[] = [];
    const peerOnly: string[] = [];
    const pairs: [boolean, boolean, string][] = [
      [o.wscale !== undefined, po.wscale !== undefined, 'window scaling'],
      [o.sackPermitted === true, po.sackPermitted === true, 'SACK'],
      [o.timestamps === true, po.timestamps === true, 'timestamps'],
    ];
    for (const [mine, theirs, name] of pairs) {
      if (mine && theirs) both.push(name);
      else if (theirs) peerOnly.push(name);
    }
    if (both.length > 0)
      out.push(
        `Both SYNs offered ${listOf(both)}, so the connection uses ${both.length === 1 ? 'it' : both.length === 2 ? 'both' : 'all three'}.`,
      );
    if (peerOnly.length > 0)
      out.push(
        `${peer(c.who)[0].toUpperCase()}${peer(c.who).slice(1)} offered ${listOf(peerOnly)} but ${who(c.who)} did not, so the connection goes without (an option is used only when both SYNs carry it).`,
      );
    if (o.mss !== undefined && po.mss !== undefined)
      out.push(`Each side now sends segments of at most the MSS the other announced.`);
  }
  if (!c.ack && o.fastOpen === 'request')
    out.push(
      `${Who(c.who)} also asks for a Fast Open cookie (an empty TFO option, RFC 7413 §4.1.1)${c.len === 0 ? `: it holds none for ${peer(c.who)} yet, so this SYN carries no data` : ''}.`,
    );
  if (!c.ack && o.fastOpen === 'cookie')
    out.push(
      `It returns the Fast Open cookie ${peer(c.who)} gave it on an earlier connection (TFO option), with which ${peer(c.who)} may take the SYN's data at once (RFC 7413 §4.2).`,
    );
  if (c.ack && o.fastOpen === 'cookie')
    out.push(
      po?.fastOpen === 'cookie'
        ? `It gives ${peer(c.who)} a new Fast Open cookie: the one in the SYN was not valid (RFC 7413 §4.1.2).`
        : `It gives ${peer(c.who)} a Fast Open cookie (TFO option): ${peer(c.who)} keeps it, and its next SYN to ${who(c.who)} can carry data that ${who(c.who)} takes at once.`,
    );
  if (c.ack && o.fastOpen === undefined && po?.fastOpen === 'request')
    out.push(
      `It carries no Fast Open cookie, though ${peer(c.who)} asked for one: ${who(c.who)} does not offer Fast Open.`,
    );
  return out.join(' ');
}

function segment(c: SegmentCtx): string {
  const opts = synOptionsText(c);
  const main = segmentOnly(c);
  return opts ? `${main} ${opts}` : main;
}

const SOCKET: Record<SocketCall, (w: string, lower: string) => string> = {
  connect: (w) => `${w}'s application called connect().`,
  'connect-returns': (_, w) =>
    `Here connect() returns in ${w}'s application: the handshake is done on its side.`,
  'connect-fails': (w) => `${w}'s connect() fails here (ECONNREFUSED).`,
  'accept-returns': (_, w) =>
    `The connection leaves ${w}'s SYN queue (half-open connections) for its accept queue (completed connections); Linux bounds both by the listen() backlog, at most net.core.somaxconn: accept() can return it now.`,
  close: (w) => `${w}'s application called close() (or shutdown(SHUT_WR)).`,
  'close-second': (w) => `${w}'s application called close() in turn.`,
  abort: (w) =>
    `${w}'s application closed with SO_LINGER set to 0 (or with unread data in its receive buffer), so the kernel sent RST instead of FIN and skipped TIME_WAIT.`,
};

const dec = (n: number) => n.toString();

const findings: Phrasebook['findings'] = {
  isn: (c: FindingCtx) =>
    `Why the ISNs look random (${dec(c.isn?.orig ?? 0)} and ${dec(c.isn?.resp ?? 0)}): each side picks its initial sequence number from a clock plus a keyed hash of the 4-tuple (RFC 9293 §3.4.1, RFC 6528), so segments of an earlier connection on the same ports fall outside the new sequence space and an off-path attacker cannot guess the numbers to inject data or a RST.`,
  'syn-retries': (c) =>
    `${Who(c.who)} sent its SYN ${c.count} times, ${c.gaps?.join(', ')} apart${c.doubling ? ': the retransmission timer doubles each time (exponential backoff)' : ''}. Linux retries a SYN net.ipv4.tcp_syn_retries times (default 6: after 1, 2, 4, 8, 16 and 32 s), then waits 64 s more, so connect() gives up with ETIMEDOUT about 127 s after the first SYN.`,
  'synack-retries': (c) =>
    `${Who(c.who)} sent its SYN+ACK ${c.count} times (${c.gaps?.join(', ')} apart). Linux retries a SYN+ACK net.ipv4.tcp_synack_retries times (default 5: after 1, 2, 4, 8 and 16 s) before dropping the half-open connection from its SYN queue, about 63 s after the first.`,
  'syn-flood-source': (c) => {
    const f = c.flood!;
    const flood = `${f.silent} other sources sent SYNs to ${f.listener} and never answered either: a SYN flood, almost certainly from spoofed (forged) source addresses.`;
    if (f.dropped)
      return `The server never answered this SYN: when it arrived, ${f.listener} already held ${f.halfOpen} half-open connections from sources that never answered, so its SYN queue (the half-open connections, bounded by the listen() backlog, at most net.core.somaxconn) was full, and with net.ipv4.tcp_syncookies=0 Linux drops every new SYN until there is room again. ${flood}`;
    if (f.cookie)
      return `The server answered this SYN once and never resent its SYN+ACK, although no ACK came: when the SYN arrived, ${f.listener}'s SYN queue was full (${f.halfOpen} half-open connections), so Linux answered with a SYN cookie (net.ipv4.tcp_syncookies): the connection is encoded in the SYN+ACK's sequence number and the server keeps no SYN_RECEIVED socket for it — nothing to retransmit, and nothing for the flood to fill (RFC 4987 §3.6). ${flood}`;
    return `The client never answered: the server sent its SYN+ACK ${f.synAcks === 1 ? 'once' : `${f.synAcks} times`}, and a TCP in SYN_SENT answers a SYN+ACK at once (RFC 9293 §3.10.7.3), so this source is spoofed or unreachable. ${flood} Each such SYN holds a half-open connection (SYN_RECEIVED, netstat's SYN_RECV) in the server's SYN queue until net.ipv4.tcp_synack_retries runs out (default 5 retries, about 63 s); once the queue is full, real clients' SYNs are dropped — unless net.ipv4.tcp_syncookies is on (Linux's default, 1), which answers them with SYN cookies instead.`;
  },
  'syn-queue-full': (c) => {
    const f = c.flood!;
    const then =
      f.stillFull !== undefined
        ? ` The retransmission was answered${c.after ? ` ${c.after} after it` : ''} while the queue was still full (${f.stillFull} half-open connections): that SYN+ACK is a SYN cookie — syncookies were on by then (net.ipv4.tcp_syncookies). Its ISN encodes the connection, the server kept no state for it, and it created the connection, directly ESTABLISHED, only when the client's ACK brought the cookie back (RFC 4987 §3.6).`
        : ` The retransmission was answered${c.after ? ` ${c.after} after it` : ''}, once the queue had room.`;
    return `The first SYN was not lost on the way: when it reached the server, ${f.listener}'s SYN queue already held ${f.halfOpen} half-open connections from ${f.silent} sources that never answered a SYN+ACK — a SYN flood. With the SYN queue full (it is bounded by the listen() backlog, at most net.core.somaxconn), Linux drops new SYNs unless net.ipv4.tcp_syncookies is on; the client's SYN timer (1 s, then doubling) sent it again.${then}`;
  },
  'syn-lost': (c) => {
    const answered = `${peer(c.who)} answered only the retransmission${c.after ? `, ${c.after} after it` : ''}, and never the ${c.count === 1 ? 'first copy' : `${c.count} earlier copies`}`;
    const why =
      'by a firewall, or by the listener — Linux drops SYNs while its accept queue is full, even with syncookies, and while its SYN queue is full with tcp_syncookies 0';
    if (c.tapAt === 'receiver')
      return `The first SYN was dropped on arrival: ${answered}, although this capture, taken beside ${peer(c.who)}, shows ${c.count === 1 ? 'it' : 'them'} reaching its host. ${c.toListener ? `Dropped there ${why}.` : ''}`.trimEnd();
    return `The first SYN was lost: ${answered}.${c.toListener && c.tapAt === undefined ? ` (If this capture was taken beside ${peer(c.who)}, the SYN reached its host and was dropped there: ${why}.)` : ''}`;
  },
  'handshake-ack-lost': (c) =>
    c.ackUnseen
      ? 'The client’s first data segment completed the server’s handshake: it carries the same acknowledgment a third segment would (every segment after the SYN has ACK set), so nothing had to be resent. No third segment on its own reached this capture: it was lost before the tap, or never sent.'
      : c.count === 1
        ? 'The third segment of the handshake was lost, yet nothing had to be resent: the client’s first data segment carries the same acknowledgment (every segment after the SYN has ACK set), so it completes the server’s handshake — the server goes from SYN_RECEIVED to ESTABLISHED on the data.'
        : c.tapAt === 'receiver'
          ? 'The third segment of the handshake was dropped on arrival: this capture, taken beside the server, shows it reaching the server’s host, yet the server retransmitted its SYN+ACK as if it had never come. A firewall or the listener itself dropped it — Linux drops it when the listener’s accept queue is full and net.ipv4.tcp_abort_on_overflow is 0. The client, ESTABLISHED since the SYN+ACK, had nothing to send, so the server retransmitted its SYN+ACK until the client acknowledged it again; until then the server held a half-open connection in its SYN queue.'
          : `The third segment of the handshake was lost: the client, ESTABLISHED since the SYN+ACK, had nothing to send, so the server retransmitted its SYN+ACK until the client acknowledged it again. Until then the server held a half-open connection in its SYN queue.${c.tapAt === undefined ? ' (If this capture was taken beside the server, the ACK did reach the server’s host and was dropped there: by a firewall, or by the listener itself — Linux drops it when the listener’s accept queue is full and net.ipv4.tcp_abort_on_overflow is 0.)' : ''}`,
  'old-duplicate-syn': (c) =>
    `An old duplicate SYN (RFC 9293 §3.5, Figure 8): a SYN from an earlier incarnation of this connection reached the server first. The server answered it with a SYN+ACK acknowledging that old ISN; ${who(c.who)}, in SYN_SENT, saw an acknowledgment of a SYN it never sent and answered with RST, so the server dropped the half-open connection and returned to LISTEN. This is why TCP needs three segments: with a two-way handshake the server would have opened a connection on the old SYN alone; the third segment lets the client confirm that the server's SYN+ACK answers its current SYN.`,
  'simultaneous-open': () =>
    'A simultaneous open (RFC 9293 §3.5, Figure 7): each side sent a SYN before it received the other’s, so each answered with SYN+ACK and went SYN_SENT → SYN_RECEIVED → ESTABLISHED. Four segments, no LISTEN anywhere.',
  refused: () =>
    'The connection was refused: nothing listened on the server’s port, so its kernel answered the SYN with RST+ACK; connect() fails with ECONNREFUSED and no state is kept on either side.',
  'closed-first': (c) =>
    `${Who(c.who)} closed first (the active close): it is the side that goes through FIN_WAIT_1, FIN_WAIT_2 and TIME_WAIT, while ${peer(c.who)} goes through CLOSE_WAIT and LAST_ACK.`,
  'simultaneous-close': () =>
    'A simultaneous close (RFC 9293 §3.6, Figure 13): both sides sent their FIN before receiving the other’s. Neither closed first; each went FIN_WAIT_1 → CLOSING → TIME_WAIT, so both ends wait out TIME_WAIT.',
  'fin-with-data': (c) =>
    `${Who(c.who)}'s FIN rides on its last data segment (FIN+PSH+ACK with a payload): close() came right after the last write, so one segment both delivers the data and ends ${who(c.who)}'s direction; the FIN's sequence number comes after the last byte.`,
  'time-wait': (c) =>
    `Why ${who(c.who)} waits in TIME_WAIT: first, if its last ACK is lost, ${peer(c.who)} retransmits its FIN and ${who(c.who)} must still be there to acknowledge it again (otherwise it would answer with RST); second, any old duplicate segment of this connection still in the network dies before the same 4-tuple can be used again. RFC 793 set the maximum segment lifetime (MSL) at 2 minutes, so TIME_WAIT lasts 2×MSL = 4 minutes there; Linux uses a fixed 60 s (TCP_TIMEWAIT_LEN), here ${c.timeWait}.${
      c.timeWaitSeen === 'beyond-capture'
        ? ` No capture shows this wait: a socket in TIME_WAIT sends nothing unless a FIN comes again, and no segment carries its age (the MSL is never on the wire). This capture stops before the wait would end, so the ${c.timeWait} is the length synack assumes (Linux's constant; --time-wait for another host), not one it measured.`
        : c.timeWaitSeen === 'assumed-expired'
          ? ` No capture shows this wait end: a socket leaves TIME_WAIT without sending anything, and no segment carries its age (the MSL is never on the wire); synack marks it CLOSED once the ${c.timeWait} it assumes (--time-wait) have passed in capture time, not from a segment.`
          : ''
    }`,
  'time-wait-ended': (c) => {
    const e = c.end;
    if (!e) return '';
    if (e.reusedAfter === undefined)
      return `${Who(e.who)}'s TIME_WAIT (${c.timeWait}) ran out within the capture.`;
    const used = `The same port pair is used again by connection ${e.nextConn}, ${e.reusedAfter} after ${who(e.who)} entered TIME_WAIT`;
    if (e.expired) return `${used}: ${who(e.who)}'s TIME_WAIT (${c.timeWait}) had run out by then.`;
    if (!e.ownPort)
      return `${used}, before its ${c.timeWait} ran out: a server in TIME_WAIT accepts a new SYN whose sequence number (or timestamp) is above the old connection's (RFC 6191), ending TIME_WAIT early.`;
    return e.twReusePossible
      ? `${used}, less than the ${c.timeWait} assumed: this host's TIME_WAIT lasted at most ${e.reusedAfter}, or net.ipv4.tcp_tw_reuse let the new connect() take the TIME_WAIT socket over (it needs TCP timestamps and 1 s since the last segment). Pass --time-wait to say which.`
      : `${used}: this host's TIME_WAIT lasted at most ${e.reusedAfter}, not ${c.timeWait} (tcp_tw_reuse needs 1 s since the last segment, so it cannot have been that).`;
  },
  abort: (c) =>
    `${Who(c.who)} ended the connection with RST, not FIN: an abortive close. Applications do this with SO_LINGER {on, 0} before close(), and Linux does it by itself when close() is called with unread data; there is no TIME_WAIT and ${peer(c.who)}'s next read fails with ECONNRESET.`,
  'forged-rst': (c) =>
    `A forged RST killed the connection: it carried exactly the sequence number ${who(c.victim ?? 'orig')} expected (RCV.NXT), which RFC 5961 §3 accepts, although ${who(c.who)} never sent it. ${Who(c.who)} still believed the connection was open; when its next segment reached ${who(c.victim ?? 'orig')}, which no longer had the connection, it drew a RST.`,
  'fast-open': (c) =>
    c.cookie === 'given'
      ? `This connection is the first half of TCP Fast Open (RFC 7413): ${who(c.who)}'s SYN carried an empty Fast Open option, a cookie request (tcpdump: "tfo cookiereq"), and no data, since it had no cookie for ${peer(c.who)} yet; ${peer(c.who)}'s SYN+ACK gave it one (tcpdump: "tfo cookie …"), a MAC of ${who(c.who)}'s address under ${peer(c.who)}'s secret key. The rest is the classic three-way handshake, and the data waits for it. On its next connection to ${peer(c.who)}, ${who(c.who)} puts the cookie and its first bytes in the SYN; ${peer(c.who)} checks the cookie, takes the data at once and may answer before the handshake ends: one round trip saved. Linux: net.ipv4.tcp_fastopen (1 client, 2 server, 3 both), setsockopt(TCP_FASTOPEN) on the listener, sendto(MSG_FASTOPEN) or TCP_FASTOPEN_CONNECT on the client; \`ip tcp_metrics show\` lists the cookies a client keeps.`
      : c.cookie === 'none'
        ? `${Who(c.who)} asked for a TCP Fast Open cookie (an empty Fast Open option in its SYN, RFC 7413 §4.1.1), but ${peer(c.who)}'s SYN+ACK carried none: ${peer(c.who)} does not do Fast Open (Linux: net.ipv4.tcp_fastopen without the server bit 2, or no TCP_FASTOPEN on the listener), so ${who(c.who)}'s SYNs to it will keep carrying no data and the handshake stays the classic three-way one.`
        : c.taken
          ? `A SYN can carry data (RFC 9293 §3.4): here ${who(c.who)}'s SYN carried ${plural(c.count ?? 0, 'byte')} and ${peer(c.who)} acknowledged them in its SYN+ACK and handed them to its application at once — TCP Fast Open (RFC 7413), which saves the round trip a request normally waits for${c.early ? `; ${peer(c.who)} even answered before ${who(c.who)}'s ACK of its SYN+ACK arrived` : ''}. A server takes data in a SYN only with a valid Fast Open cookie: ${who(c.who)} got it on an earlier connection, whose SYN carried an empty Fast Open option (a cookie request) and whose SYN+ACK the cookie (tcpdump shows them as "tfo cookiereq" and "tfo cookie …"). Without a cookie the data is not acknowledged and is sent again after the handshake, so the textbook rule "a SYN carries no data" describes the classic handshake, not TCP. On Linux: net.ipv4.tcp_fastopen (1 client, 2 server, 3 both), setsockopt(TCP_FASTOPEN) on the listener, sendto(MSG_FASTOPEN) or TCP_FASTOPEN_CONNECT on the client.`
          : `${Who(c.who)}'s SYN carried ${plural(c.count ?? 0, 'byte')} (RFC 9293 §3.4 allows it), but ${peer(c.who)} acknowledged only the SYN: without a valid TCP Fast Open cookie (RFC 7413) a server does not take data from a SYN, so ${who(c.who)} sends it again after the handshake. This is how a Fast Open client's first connection goes when it has no cookie yet, or when the server has Fast Open off (Linux: net.ipv4.tcp_fastopen, setsockopt TCP_FASTOPEN).`,
  'accept-overflow': (c) =>
    `Why ${who(c.who)} reset a handshake it had answered: a listener keeps two queues — the SYN queue of half-open connections (SYN_RECEIVED, 半连接队列) and the accept queue of completed ones waiting for accept() (全连接队列), both bounded by the listen() backlog (at most net.core.somaxconn). When the handshake's ACK arrives and the accept queue is full (the application is not calling accept() fast enough), Linux by default (net.ipv4.tcp_abort_on_overflow=0) drops the ACK, keeps the half-open connection and resends its SYN+ACK later, hoping for room; with tcp_abort_on_overflow=1 it answers the ACK with a RST at once, as here. (A listening socket closed between the SYN+ACK and the ACK is answered the same way.) \`ss -lnt\` shows the accept queue as Recv-Q against its limit Send-Q; \`nstat\` counts ListenOverflows.`,
  'keepalive-give-up': (c) =>
    `${Who(c.who)}'s keep-alive found ${peer(c.who)} gone: after net.ipv4.tcp_keepalive_time of silence it probes every tcp_keepalive_intvl, and after tcp_keepalive_probes unanswered probes it drops the connection with a RST.`,
};

const notes: Phrasebook['notes'] = {
  'answers-dup-syn': (c) =>
    `It is sent ${c.after} after ${peer(c.who)}'s repeated SYN (frame ${c.frame}): a SYN arriving again in SYN_RECEIVED is answered with the SYN+ACK again. This is an answer to the duplicate SYN, not a timer retransmission.`,
  'handshake-ack-piggybacked': (c) =>
    `${Who(otherSideOf(c.who))} sent no ACK of the SYN+ACK on its own (this capture, taken beside it, would show one): this data segment carries the acknowledgment, as Linux sends it when data is already waiting to go (a request written before the handshake ended, TCP Fast Open's first connection), and it completes ${who(c.who)}'s handshake: ${who(c.who)} goes from SYN_RECEIVED to ESTABLISHED on it.`,
  'handshake-ack-unseen': (c) =>
    `No ACK of the SYN+ACK on its own reached this capture: this data segment carries the acknowledgment and completes ${who(c.who)}'s handshake (SYN_RECEIVED to ESTABLISHED on it). ${Who(otherSideOf(c.who))} either sent a pure ACK that was lost before the tap, or sent none — Linux puts the ACK on data already waiting (TCP Fast Open's first connection); this capture cannot tell which.`,
  'data-completes-handshake': (c) =>
    `This data segment carries the acknowledgment the lost third segment carried, so it completes ${who(c.who)}'s handshake: ${who(c.who)} goes from SYN_RECEIVED to ESTABLISHED on it.`,
  'handshake-ack-lost': (c) =>
    `The third segment of the handshake was lost: ${peer(c.who)} already believes the connection is ESTABLISHED, while ${who(c.who)} is still in SYN_RECEIVED — a half-open connection.`,
  'challenge-ack': (c) =>
    `This is a challenge ACK (RFC 5961 §3), not a duplicate ACK for a missing segment: the RST fell inside ${who(c.who)}'s window but not at the exact expected sequence number, so ${who(c.who)} answers with its current ACK instead of closing. Only the real peer, seeing it, would send a RST at exactly that number.`,
  'time-wait-reack': (c) =>
    `${Who(c.who)}, in TIME_WAIT, acknowledges ${peer(c.who)}'s retransmitted FIN again: its first ACK was lost. This is the first reason TIME_WAIT exists.`,
  'fin-with-data': (c) => `${Who(c.who)}'s data and its FIN arrive together.`,
  'simultaneous-open-ack': (c) =>
    `${Who(c.who)} had already received ${peer(c.who)}'s SYN, so the SYN in ${peer(c.who)}'s SYN+ACK lay below its RCV.NXT: a duplicate, which is acknowledged at once (RFC 9293 §3.10.7.4, first check). Linux sends this ACK with a D-SACK block naming that SYN (RFC 2883), which is why both ends of a simultaneous open send one more ACK than Figure 7 of RFC 9293 shows.`,
  'synack-reack': (c) =>
    `${Who(c.who)} acknowledges the repeated SYN+ACK again: Wireshark calls it a duplicate ACK, but it is the answer to the retransmitted SYN+ACK, which shows ${who(c.who)}'s first ACK never arrived.`,
  'ack-refused': (c) =>
    `${Who(c.who)} refuses this ACK: its accept queue is full, so instead of completing the handshake it drops the half-open connection — from SYN_RECEIVED to no connection at all (CLOSED) — and answers with a RST (net.ipv4.tcp_abort_on_overflow=1).`,
  'fin-queued': (c) =>
    `${Who(c.who)} had already called close() when this segment reached it: its FIN waited behind data the window held back, and leaves with that data the moment this segment opens the window.`,
  'met-no-connection': (c) =>
    `${Who(c.who)} no longer had this connection when the segment reached it: its answer, a RST without ACK sent at once whose seq is this segment's ack, is what an endpoint with no connection sends (RFC 9293 §3.10.7.1). It had dropped the connection earlier, unseen in the capture (a RST lost or forged, a reboot, a timeout): CLOSED.`,
  'arrival-unknown': (c) =>
    `Whether it reached ${peer(c.who)} the capture cannot tell yet: ${peer(c.who)}'s state is UNKNOWN until its next segment.`,
  'acks-old-syn': (c) =>
    `It acknowledges ${c.ack}${c.isn !== undefined ? `, not ${peer(c.who)}'s ISN + 1 (${(c.isn + 1) >>> 0})` : ''}: ${who(c.who)} is still in SYN_RECEIVED for an earlier SYN (the old duplicate) and answers ${peer(c.who)}'s new SYN with an acknowledgment of what it has, as RFC 9293 §3.10.7.4 says (RFC 5961 §4 calls it a challenge ACK). Wireshark, counting from ${peer(c.who)}'s new ISN, calls it an acknowledgment of bytes it never saw; nothing is missing.`,
  'acks-new-isn': (c) =>
    `It acknowledges ${peer(c.who)}'s new ISN (ack=${c.ack}). Wireshark, still counting from ${peer(c.who)}'s earlier ISN, calls it an acknowledgment of bytes it never saw; nothing is missing.`,
  'new-isn-not-gap': (c) =>
    `This is ${who(c.who)}'s new ISN, replacing ${c.isn} of its earlier SYN: a new attempt numbers its bytes afresh. Wireshark, counting from the old ISN, calls the jump a gap in the capture; nothing is missing.`,
  'port-reuse-kept': () =>
    'Wireshark marks this as port reuse (a new ISN on a 4-tuple it has seen) and starts a new conversation; synack keeps one connection, because neither end had finished with the earlier attempt (a connection ends only when both ends are CLOSED or back in LISTEN).',
};

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
    c.queueFull !== undefined
      ? `${Who(otherSideOf(c.who))} ignored it: its SYN queue was full (${c.queueFull} half-open connections), so the SYN got no answer and ${peer(c.who)}'s state does not change.`
      : c.answeredCopy !== undefined
        ? `${lostHow(c)}: ${peer(c.who)} answered only the copy sent at frame ${c.answeredCopy}${c.after ? `, ${c.after} after it` : ''}, so its state does not change here.`
        : c.carriedBy !== undefined
          ? `${lostHow(c)}: ${peer(c.who)}'s state changes only with frame ${c.carriedBy}, which carries the same acknowledgment.`
          : c.resentAs !== undefined
            ? `${lostHow(c)}: ${who(c.who)} had to send it again (frame ${c.resentAs}), and ${peer(c.who)}'s state does not change here.`
            : c.dropped
              ? `This segment reached ${peer(c.who)}'s host (the capture was taken beside it) but was dropped on arrival, so ${peer(c.who)}'s state does not change.`
              : `This segment never reached ${peer(c.who)}: it was lost on the way, so ${peer(c.who)}'s state does not change.`,
  socket: (c) => SOCKET[c.call](Who(c.who), who(c.who)),
  notes,
  findings,
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
    c.reusedAfter !== undefined && !c.expired
      ? `${Who(c.who)} leaves TIME_WAIT (CLOSED) when connection ${c.nextConn} takes the same port pair, ${c.reusedAfter} after ${who(c.who)} entered it.`
      : `${Who(c.who)}'s TIME_WAIT of ${c.timeWait} runs out within the capture: CLOSED.`,
  summary: (c) => {
    const parts: string[] = [];
    if (c.handshake) parts.push(HANDSHAKE[c.handshake] + (c.rtt ? ` (round trip ${c.rtt})` : ''));
    if (c.close)
      parts.push(
        c.forgedReset
          ? `a forged RST in ${c.close === 'orig-reset' ? 'the client' : 'the server'}'s name reset the connection`
          : c.oldDuplicate && c.close === 'orig-reset'
            ? "the client's RST rejected the SYN+ACK of an old duplicate SYN"
            : CLOSE[c.close],
      );
    let s = parts.length > 0 ? `In short: ${parts.join('; ')}. ` : '';
    s += `Final states: client ${c.final.orig}, server ${c.final.resp}.`;
    for (const side of ['orig', 'resp'] as const) {
      if (c.final[side] === 'TIME_WAIT' && !c.timeWaitRanOut[side])
        s += ` ${Who(side)} stays in TIME_WAIT for ${c.timeWait} after its last ACK before the port pair can be reused.`;
      if (c.final[side] === 'CLOSE_WAIT')
        s += ` ${Who(side)} is left in CLOSE_WAIT: its application never closed the socket — the classic descriptor leak.`;
    }
    if (c.connState) s += ` Zeek would log conn_state ${c.connState}, history ${c.history}.`;
    return s;
  },
};
