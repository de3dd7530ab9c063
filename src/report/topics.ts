// `synack explain --topic T`: the concepts of TCP's connection life without a capture — every
// RFC 9293 state (with the names netstat, ss and TCPView print for it), every analysis event
// kind, the kernel settings that shape what a capture shows (Linux sysctls, SO_LINGER), and the
// textbook questions (why three segments, why random ISNs, why TIME_WAIT). English and Chinese.
// The web UI imports TOPICS and topicForState/topicForEvent to link a state or a tag to its page.
// Pure data.

import type { StateName } from '../tcp/state.js';
import type { EventKind } from '../track/kinds.js';

export type TopicGroup = 'state' | 'anomaly' | 'concept' | 'setting';

export interface Topic {
  id: string;
  group: TopicGroup;
  /** Other names the topic is looked up by: netstat (Linux, Windows), ss, TCPView, RFC spellings. */
  names: string[];
  title: { en: string; zh: string };
  text: { en: string; zh: string };
  /** Related topics (ids). */
  see: string[];
}

const t = (
  id: string,
  group: TopicGroup,
  names: string[],
  title: [string, string],
  en: string,
  zh: string,
  see: string[] = [],
): Topic => ({ id, group, names, title: { en: title[0], zh: title[1] }, text: { en, zh }, see });

const STATE_TOPICS: Topic[] = [
  t(
    'closed',
    'state',
    ['CLOSED', 'CLOSE'],
    ['CLOSED', 'CLOSED（关闭）'],
    'No connection. A socket is CLOSED before connect() or listen() and after the connection is over (after LAST_ACK, after TIME_WAIT, after a RST). netstat on Linux prints CLOSE; ss does not list such sockets. A segment reaching a port with no connection is answered with RST (RFC 9293 §3.10.7.1).',
    '没有连接。套接字在调用 connect() 或 listen() 之前、以及连接结束之后（LAST_ACK 之后、TIME_WAIT 之后、收到 RST 之后）处于 CLOSED。Linux 的 netstat 显示为 CLOSE；ss 不列出这种套接字。发往一个没有连接的端口的报文段会得到 RST（RFC 9293 §3.10.7.1）。',
    ['listen', 'rst'],
  ),
  t(
    'listen',
    'state',
    ['LISTEN', 'LISTENING'],
    ['LISTEN', 'LISTEN（监听）'],
    'A server socket after listen(): it waits for SYNs. netstat and ss print LISTEN, Windows netstat and TCPView print LISTENING. A SYN reaching it creates a half-open connection in SYN_RECEIVED (kept in the SYN queue) and is answered with SYN+ACK; the listening socket itself stays in LISTEN.',
    '服务端调用 listen() 之后的套接字：等待 SYN 到来。netstat 和 ss 显示为 LISTEN，Windows 的 netstat 和 TCPView 显示为 LISTENING。收到 SYN 时，内核创建一个处于 SYN_RECEIVED 的半连接（放进半连接队列），并回复 SYN+ACK；监听套接字本身一直停留在 LISTEN。',
    ['syn-queue', 'accept-queue', 'three-way-handshake'],
  ),
  t(
    'syn-sent',
    'state',
    ['SYN_SENT', 'SYN-SENT'],
    ['SYN_SENT', 'SYN_SENT（同步已发送）'],
    "The client after connect() sent its SYN, waiting for the SYN+ACK. ss prints SYN-SENT. If no answer comes, Linux resends the SYN after 1, 2, 4, 8, 16 and 32 s (tcp_syn_retries = 6) and connect() fails with ETIMEDOUT after about 127 s; a RST answer fails it at once with ECONNREFUSED. Many SYN_SENT sockets at once towards many different hosts are a scan (a worm spreading, or a port scanner), not slow servers: `synack states` flags one host whose SYNs failed against 25 or more hosts on one port (ADDRESS SCAN?), or 15 or more ports of one host (PORT SCAN?), within 5 minutes, as Zeek's scan policy does.",
    '客户端调用 connect() 发出 SYN 之后，等待 SYN+ACK。ss 显示为 SYN-SENT。如果没有应答，Linux 会在 1、2、4、8、16、32 秒后重发 SYN（tcp_syn_retries = 6），大约 127 秒后 connect() 以 ETIMEDOUT 失败；如果得到的是 RST，connect() 立即以 ECONNREFUSED 失败。同时有大量 SYN_SENT 连向许多不同的主机，说明是在扫描（蠕虫传播或端口扫描器），而不是服务器响应慢：`synack states` 会标出在 5 分钟内对同一端口的 25 台以上主机（ADDRESS SCAN?）或对同一主机的 15 个以上端口（PORT SCAN?）连接失败的主机，与 Zeek 的扫描策略相同。',
    ['tcp-syn-retries', 'three-way-handshake', 'syn-retransmission'],
  ),
  t(
    'syn-received',
    'state',
    ['SYN_RECEIVED', 'SYN_RECV', 'SYN-RECV', 'SYN-RECEIVED', 'SYN_RCVD', 'SYN-RCVD'],
    ['SYN_RECEIVED', 'SYN_RECEIVED（同步收到）'],
    "A SYN arrived and was answered with SYN+ACK; the third segment (the ACK) has not arrived yet: a half-open connection (半连接), held in the listener's SYN queue. netstat and ss on Linux print SYN_RECV / SYN-RECV, TCPView SYN_RCVD. Linux resends the SYN+ACK after 1, 2, 4, 8, 16 s (tcp_synack_retries = 5) and then drops it. Many of them at once, from addresses that never answer, is a SYN flood.",
    '收到了 SYN 并已回复 SYN+ACK，但第三次握手的 ACK 还没有到达：这是一个半连接，放在监听套接字的半连接队列（SYN 队列）里。Linux 的 netstat 和 ss 显示为 SYN_RECV / SYN-RECV，TCPView 显示为 SYN_RCVD。Linux 会在 1、2、4、8、16 秒后重发 SYN+ACK（tcp_synack_retries = 5），之后丢弃它。大量来自从不应答的地址的半连接，就是 SYN 洪泛攻击。',
    ['syn-queue', 'tcp-synack-retries', 'syn-flood', 'handshake-ack-lost'],
  ),
  t(
    'established',
    'state',
    ['ESTABLISHED', 'ESTAB'],
    ['ESTABLISHED', 'ESTABLISHED（已建立连接）'],
    'The connection is open: both sides may send data. The client enters it when the SYN+ACK arrives (connect() returns there), the server when the third segment (or any later segment carrying the same ACK) arrives (accept() can return from then on). ss prints ESTAB. An ESTABLISHED socket says nothing about who opened it: `synack watch` shows the process that holds each one, the way TCPView does, to tell a browser’s connection from an unexpected program’s.',
    '连接已经建立，双方都可以发送数据。客户端在收到 SYN+ACK 时进入 ESTABLISHED（connect() 在此返回），服务端在收到第三次握手的 ACK（或任何带着同样确认号的后续报文段）时进入（从此 accept() 可以返回它）。ss 显示为 ESTAB。ESTABLISHED 本身说明不了是谁建立的连接：`synack watch` 像 TCPView 一样显示持有每个套接字的进程，可以分辨是浏览器的连接还是某个意外程序的连接。',
    ['three-way-handshake', 'accept-queue'],
  ),
  t(
    'fin-wait-1',
    'state',
    ['FIN_WAIT_1', 'FIN_WAIT1', 'FIN-WAIT-1'],
    ['FIN_WAIT_1', 'FIN_WAIT_1（终止等待 1）'],
    "The side that closes first (active close) after sending its FIN, waiting for it to be acknowledged. netstat prints FIN_WAIT1. The ACK of the FIN moves it to FIN_WAIT_2; the peer's FIN before that ACK (the FINs crossed) moves it to CLOSING; a FIN that also acknowledges its own moves it straight to TIME_WAIT.",
    '率先关闭（主动关闭）的一方发出 FIN 之后，等待这个 FIN 被确认。netstat 显示为 FIN_WAIT1。收到对 FIN 的确认后进入 FIN_WAIT_2；如果在此之前先收到对方的 FIN（双方的 FIN 交错），进入 CLOSING；如果收到的 FIN 同时确认了自己的 FIN，则直接进入 TIME_WAIT。',
    ['four-way-teardown', 'fin-wait-2', 'closing'],
  ),
  t(
    'fin-wait-2',
    'state',
    ['FIN_WAIT_2', 'FIN_WAIT2', 'FIN-WAIT-2'],
    ['FIN_WAIT_2', 'FIN_WAIT_2（终止等待 2）'],
    "Its FIN is acknowledged; it waits for the peer's FIN. The connection is half-closed: it may still receive data. netstat prints FIN_WAIT2. A socket already closed by its application (orphaned) waits at most net.ipv4.tcp_fin_timeout (60 s) here on Linux.",
    '自己的 FIN 已被确认，正在等待对方的 FIN。连接处于半关闭：仍然可以接收数据。netstat 显示为 FIN_WAIT2。在 Linux 上，应用程序已经关闭的（孤儿）套接字在这里最多等待 net.ipv4.tcp_fin_timeout（60 秒）。',
    ['half-close', 'tcp-fin-timeout'],
  ),
  t(
    'close-wait',
    'state',
    ['CLOSE_WAIT', 'CLOSE-WAIT'],
    ['CLOSE_WAIT', 'CLOSE_WAIT（关闭等待）'],
    "The peer's FIN arrived and was acknowledged: the peer sends nothing more, but this side may still send until its application calls close(). A socket that stays in CLOSE_WAIT means the application never closed it — the classic descriptor leak.",
    '收到并确认了对方的 FIN：对方不再发送数据，但本端在应用程序调用 close() 之前仍可发送。长时间停留在 CLOSE_WAIT 的套接字，说明应用程序一直没有关闭它——这是典型的连接（文件描述符）泄漏。',
    ['half-close', 'last-ack'],
  ),
  t(
    'closing',
    'state',
    ['CLOSING'],
    ['CLOSING', 'CLOSING（同时关闭）'],
    "Both sides sent their FIN before receiving the other's (a simultaneous close): this side has the peer's FIN but its own is not yet acknowledged. The ACK moves it to TIME_WAIT, so both ends wait out TIME_WAIT.",
    '双方都在收到对方的 FIN 之前发出了自己的 FIN（同时关闭）：本端已经收到对方的 FIN，但自己的 FIN 还没有被确认。收到确认后进入 TIME_WAIT，所以两端都要等待 TIME_WAIT。',
    ['simultaneous-close', 'time-wait'],
  ),
  t(
    'last-ack',
    'state',
    ['LAST_ACK', 'LAST-ACK'],
    ['LAST_ACK', 'LAST_ACK（最后确认）'],
    'The side that closed second sent its FIN from CLOSE_WAIT and waits for its acknowledgment. When it comes the socket is CLOSED; if it is lost, this side resends its FIN and the peer, in TIME_WAIT, acknowledges it again.',
    '后关闭的一方在 CLOSE_WAIT 状态发出自己的 FIN 之后，等待对它的确认。确认到达后套接字进入 CLOSED；如果确认丢失，本端会重发 FIN，处于 TIME_WAIT 的对方再确认一次。',
    ['four-way-teardown', 'time-wait', 'last-ack-lost'],
  ),
  t(
    'time-wait',
    'state',
    ['TIME_WAIT', 'TIME-WAIT', 'TIMEWAIT', '2MSL'],
    ['TIME_WAIT', 'TIME_WAIT（时间等待）'],
    "The side that closed first, after acknowledging the peer's FIN, waits before the 4-tuple can be used again, for two reasons: if its last ACK is lost the peer resends its FIN and must get an ACK again, not a RST; and old duplicate segments of this connection must die out in the network before a new connection on the same ports could take them for its own. RFC 793 put the maximum segment lifetime (MSL) at 2 minutes, so TIME_WAIT = 2MSL = 4 minutes; Linux uses a fixed 60 s (TCP_TIMEWAIT_LEN, not a sysctl). Many short connections from one client can use up its ports this way.",
    '率先关闭的一方确认了对方的 FIN 之后，要等待一段时间，这个四元组才能再次使用，原因有二：如果最后一个 ACK 丢失，对方会重发 FIN，此时必须再回一个 ACK，而不是 RST；并且让这个连接滞留在网络中的旧报文段全部消失，以免同一对端口上的新连接把它们当成自己的。RFC 793 规定报文段最大生存时间（MSL）为 2 分钟，所以 TIME_WAIT = 2MSL = 4 分钟；Linux 固定为 60 秒（TCP_TIMEWAIT_LEN，不是 sysctl）。一个客户端大量发起短连接时，端口会因此耗尽。',
    ['msl', 'tcp-tw-reuse', 'port-exhaustion', 'last-ack-lost'],
  ),
  t(
    'unknown',
    'state',
    ['UNKNOWN'],
    ['UNKNOWN（未知）', 'UNKNOWN（未知）'],
    "synack's word for a state the capture cannot decide: the capture started mid-connection, or a segment may or may not have reached its receiver and nothing later tells. It lasts only while two histories remain possible.",
    'synack 用它表示抓包无法判定的状态：抓包从连接中途开始，或者某个报文段是否到达接收方无从得知、之后也没有证据。只要两种经历都还可能，就保持 UNKNOWN；一旦证据确定，就给出状态。',
    [],
  ),
];

const ANOMALY_TOPICS: Topic[] = [
  t(
    'retransmission',
    'anomaly',
    ['tcp.analysis.retransmission'],
    ['Retransmission', '重传'],
    'The same bytes sent again because no acknowledgment came before the retransmission timer (RTO) expired. Linux starts the RTO at 200 ms plus the measured round trip for data (1 s for a SYN) and doubles it each time (exponential backoff).',
    '因为在重传计时器（RTO）超时之前没有收到确认，同样的数据又发送了一次。Linux 的数据 RTO 从约 200 毫秒加往返时间开始（SYN 为 1 秒），每次超时翻倍（指数退避）。',
    ['fast-retransmission', 'syn-retransmission'],
  ),
  t(
    'fast-retransmission',
    'anomaly',
    ['tcp.analysis.fast_retransmission'],
    ['Fast retransmission', '快速重传'],
    'A segment resent after three duplicate ACKs told the sender it was missing, without waiting for the timer (RFC 5681 §3.2).',
    '发送方收到三个重复 ACK，得知某个报文段丢失，不等计时器超时就立即重发（RFC 5681 §3.2）。',
    ['dup-ack', 'retransmission'],
  ),
  t(
    'spurious-retransmission',
    'anomaly',
    ['tcp.analysis.spurious_retransmission'],
    ['Spurious retransmission', '伪重传'],
    'A retransmission of bytes the receiver had already acknowledged: the timer fired too early, or the ACK was delayed.',
    '重发了接收方早已确认过的数据：计时器超时得太早，或者 ACK 被延迟了。',
    ['retransmission'],
  ),
  t(
    'out-of-order',
    'anomaly',
    ['tcp.analysis.out_of_order'],
    ['Out of order', '乱序'],
    'A segment that comes after a segment with a higher sequence number: reordered in the network, or a retransmission Wireshark cannot tell from one.',
    '一个报文段出现在序列号更大的报文段之后：在网络中被重新排序，或者是 Wireshark 分辨不出的重传。',
    ['retransmission'],
  ),
  t(
    'previous-segment-not-captured',
    'anomaly',
    ['tcp.analysis.lost_segment'],
    ['Previous segment not captured', '前一个报文段未被抓到'],
    'The capture has a gap in the sequence space before this segment: bytes lost before the tap, or not captured.',
    '在这个报文段之前，抓包的序列号空间有缺口：数据在抓包点之前丢失，或者没有被抓到。',
    ['acked-unseen-segment'],
  ),
  t(
    'acked-unseen-segment',
    'anomaly',
    ['tcp.analysis.ack_lost_segment'],
    ['ACKed unseen segment', '确认了未抓到的报文段'],
    'An acknowledgment covers bytes the capture never showed: they passed the tap without being captured (or took another path).',
    '一个确认号覆盖了抓包中从未出现的数据：它们经过抓包点时没有被抓到（或者走了另一条路径）。',
    ['previous-segment-not-captured'],
  ),
  t(
    'dup-ack',
    'anomaly',
    ['tcp.analysis.duplicate_ack', 'duplicate-ack'],
    ['Duplicate ACK', '重复 ACK'],
    "The receiver repeats its last acknowledgment: a segment is missing and later ones arrived. Three in a row trigger a fast retransmission. Not every repeated ACK is one: a challenge ACK (RFC 5961) and TIME_WAIT's re-ACK of a retransmitted FIN look the same.",
    '接收方重复发送上一个确认号：有报文段缺失，而后面的报文段已经到达。连续三个会触发快速重传。并不是每个重复的 ACK 都是这种情况：挑战 ACK（RFC 5961）和 TIME_WAIT 对重传 FIN 的再次确认看起来也一样。',
    ['fast-retransmission', 'rst-challenge-ack', 'time-wait'],
  ),
  t(
    'zero-window',
    'anomaly',
    ['tcp.analysis.zero_window'],
    ['Zero window', '零窗口'],
    'The receiver advertises a window of 0: its receive buffer is full because its application does not read. The sender must stop and probe until the window reopens.',
    '接收方通告窗口为 0：应用程序不读取数据，接收缓冲区已满。发送方必须停止发送，并不断探测，直到窗口重新打开。',
    ['zero-window-probe', 'window-update'],
  ),
  t(
    'zero-window-probe',
    'anomaly',
    ['tcp.analysis.zero_window_probe'],
    ['Zero-window probe', '零窗口探测'],
    'A segment sent into a zero window to learn when it reopens (RFC 9293 §3.8.6.1). Linux sends an empty segment one byte below what it already sent.',
    '向零窗口发送的报文段，用来得知窗口何时重新打开（RFC 9293 §3.8.6.1）。Linux 发送一个不带数据、序列号比已发送数据少 1 的报文段。',
    ['zero-window'],
  ),
  t(
    'zero-window-probe-ack',
    'anomaly',
    ['tcp.analysis.zero_window_probe_ack'],
    ['Zero-window probe ACK', '零窗口探测的应答'],
    "The receiver's answer to a zero-window probe, carrying its current window.",
    '接收方对零窗口探测的应答，带着当前的窗口大小。',
    ['zero-window-probe'],
  ),
  t(
    'keep-alive',
    'anomaly',
    ['tcp.analysis.keep_alive', 'keepalive', 'SO_KEEPALIVE'],
    ['Keep-alive', '保活（keep-alive）'],
    'After a quiet spell (net.ipv4.tcp_keepalive_time, 7200 s by default; SO_KEEPALIVE must be on) a side sends a segment one byte below what it sent, which the peer must acknowledge. Unanswered, it repeats every tcp_keepalive_intvl (75 s) and after tcp_keepalive_probes (9) gives up with a RST.',
    '连接空闲一段时间后（net.ipv4.tcp_keepalive_time，默认 7200 秒；需要打开 SO_KEEPALIVE），一方发送一个序列号比已发送数据少 1 的报文段，对方必须确认。若无应答，每隔 tcp_keepalive_intvl（75 秒）重复一次，tcp_keepalive_probes（9）次之后用 RST 放弃连接。',
    ['keep-alive-ack'],
  ),
  t(
    'keep-alive-ack',
    'anomaly',
    ['tcp.analysis.keep_alive_ack'],
    ['Keep-alive ACK', '保活应答'],
    'The answer to a keep-alive: the peer is still there and still has the connection.',
    '对保活报文的应答：对端还在，连接依然有效。',
    ['keep-alive'],
  ),
  t(
    'window-update',
    'anomaly',
    ['tcp.analysis.window_update'],
    ['Window update', '窗口更新'],
    'A segment with no new data that only announces a larger receive window, typically after the application read from a full buffer.',
    '不带新数据、只通告更大接收窗口的报文段，通常是应用程序从已满的缓冲区读取数据之后发出。',
    ['zero-window'],
  ),
  t(
    'window-full',
    'anomaly',
    ['tcp.analysis.window_full'],
    ['Window full', '窗口已满'],
    'This segment fills the window the receiver advertised: the sender must wait for an acknowledgment before sending more.',
    '这个报文段填满了接收方通告的窗口：发送方必须等到确认后才能继续发送。',
    ['zero-window'],
  ),
  t(
    'port-reuse',
    'anomaly',
    ['tcp.analysis.reused_ports'],
    ['Port reuse', '端口复用'],
    'A SYN on the same addresses and ports as an earlier connection in the capture: a new connection on an old port pair, allowed once the old one is gone (or its TIME_WAIT is taken over).',
    '一个 SYN 使用了与抓包中先前连接相同的地址和端口：在旧端口对上开始新连接，前提是旧连接已经结束（或者它的 TIME_WAIT 被接管）。',
    ['time-wait', 'tcp-tw-reuse'],
  ),
  t(
    'syn-retransmission',
    'anomaly',
    [],
    ['SYN retransmission', 'SYN 重传'],
    'The client sends its SYN again (same ISN) because no SYN+ACK came back. The timer starts at 1 s and doubles: 1, 2, 4, 8, 16, 32 s (net.ipv4.tcp_syn_retries = 6), so connect() times out after about 127 s. Whether the SYN or the SYN+ACK was lost, the capture decides: the server answers only the copy it received.',
    '因为没有收到 SYN+ACK，客户端再次发出 SYN（初始序列号不变）。计时器从 1 秒开始翻倍：1、2、4、8、16、32 秒（net.ipv4.tcp_syn_retries = 6），所以 connect() 大约 127 秒后超时。丢的是 SYN 还是 SYN+ACK，由抓包判定：服务端只回应它收到的那一份。',
    ['tcp-syn-retries', 'syn-sent'],
  ),
  t(
    'synack-retransmission',
    'anomaly',
    [],
    ['SYN+ACK retransmission', 'SYN+ACK 重传'],
    'The server sends its SYN+ACK again because the third segment did not arrive (net.ipv4.tcp_synack_retries = 5: after 1, 2, 4, 8, 16 s). A SYN+ACK sent right after a repeated SYN is the answer to that SYN, not a timer retransmission.',
    '因为第三次握手的 ACK 没有到达，服务端再次发出 SYN+ACK（net.ipv4.tcp_synack_retries = 5：在 1、2、4、8、16 秒后）。紧跟在重复 SYN 之后发出的 SYN+ACK 是对那个 SYN 的应答，不是计时器超时重传。',
    ['tcp-synack-retries', 'handshake-ack-lost'],
  ),
  t(
    'handshake-ack-lost',
    'anomaly',
    ['third-ack-lost'],
    ['Lost third segment of the handshake', '第三次握手的 ACK 丢失'],
    "The client is ESTABLISHED (the SYN+ACK reached it) but its ACK never reached the server, which stays in SYN_RECEIVED. If the client sends data, that segment carries the same ACK and completes the server's handshake; if it sends nothing, the server retransmits its SYN+ACK and the client ACKs again; if the server speaks first it cannot, until then.",
    '客户端已经是 ESTABLISHED（收到了 SYN+ACK），但它的 ACK 没有到达服务端，服务端仍停留在 SYN_RECEIVED。如果客户端接着发送数据，数据报文段带着同样的确认号，完成服务端的握手；如果客户端什么都不发，服务端会重传 SYN+ACK，客户端再确认一次；如果本该服务端先发数据，它在此之前无法发送。',
    ['syn-received', 'synack-retransmission'],
  ),
  t(
    'simultaneous-open',
    'anomaly',
    [],
    ['Simultaneous open', '同时打开'],
    "Both sides send a SYN before receiving the other's (RFC 9293 §3.5 Figure 7): each answers with SYN+ACK and goes SYN_SENT → SYN_RECEIVED → ESTABLISHED; four segments, no listener.",
    '双方都在收到对方的 SYN 之前发出了自己的 SYN（RFC 9293 §3.5 图 7）：各自用 SYN+ACK 应答，都经历 SYN_SENT → SYN_RECEIVED → ESTABLISHED；共四个报文段，没有监听方。',
    ['three-way-handshake'],
  ),
  t(
    'simultaneous-close',
    'anomaly',
    [],
    ['Simultaneous close', '同时关闭'],
    "Both sides send a FIN before receiving the other's (RFC 9293 §3.6 Figure 13): each goes FIN_WAIT_1 → CLOSING → TIME_WAIT; neither closed first, both wait out TIME_WAIT.",
    '双方都在收到对方的 FIN 之前发出了自己的 FIN（RFC 9293 §3.6 图 13）：都经历 FIN_WAIT_1 → CLOSING → TIME_WAIT；没有谁先关闭，两端都要等待 TIME_WAIT。',
    ['closing', 'four-way-teardown'],
  ),
  t(
    'half-close',
    'anomaly',
    ['SHUT_WR', 'shutdown'],
    ['Half-close', '半关闭'],
    'One side sent its FIN (shutdown(SHUT_WR), or close() on its sending direction) and still receives: data keeps flowing the other way until the peer closes too. The side that sent the FIN sits in FIN_WAIT_2, the other in CLOSE_WAIT.',
    '一方发出了 FIN（shutdown(SHUT_WR)），但仍在接收：另一个方向的数据继续传输，直到对方也关闭。发出 FIN 的一方处于 FIN_WAIT_2，另一方处于 CLOSE_WAIT。',
    ['fin-wait-2', 'close-wait'],
  ),
  t(
    'rst-out-of-window',
    'anomaly',
    [],
    ['RST out of window', '窗口外的 RST'],
    "A RST whose sequence number lies outside its receiver's window: ignored, the connection does not change (RFC 9293 §3.10.7.4, RFC 5961 §3).",
    '序列号落在接收方窗口之外的 RST：被忽略，连接不受影响（RFC 9293 §3.10.7.4，RFC 5961 §3）。',
    ['rst', 'rst-challenge-ack'],
  ),
  t(
    'rst-challenge-ack',
    'anomaly',
    ['challenge-ack'],
    ['Challenge ACK', '挑战 ACK'],
    'A RST (or SYN) inside the window but not exactly at RCV.NXT is answered with an ACK instead of closing (RFC 5961 §3, §4): the real peer, seeing the ACK, would send a RST at the exact number; a blind attacker cannot. It looks like a duplicate ACK but is not one.',
    '落在窗口内、却不正好等于 RCV.NXT 的 RST（或 SYN）会得到一个 ACK，而不是关闭连接（RFC 5961 §3、§4）：真正的对端看到这个 ACK 会发出序列号恰好吻合的 RST，盲目攻击者做不到。它看起来像重复 ACK，其实不是。',
    ['rst', 'rst-suspect-forged'],
  ),
  t(
    'rst-suspect-forged',
    'anomaly',
    ['forged-rst'],
    ['Forged RST', '伪造的 RST'],
    "A RST that does not fit its claimed sender's other segments (TTL, IP ID, DF bit, options), or whose claimed sender keeps sending after it: probably injected by a third party. One at exactly RCV.NXT is accepted (RFC 5961 §3) and kills the connection; the victim then answers the real peer's next segment with a RST of its own.",
    '与声称的发送方的其他报文段不符（TTL、IP ID、DF 位、选项）的 RST，或者声称的发送方在它之后仍在发送：很可能是第三方注入的。序列号恰好等于 RCV.NXT 的伪造 RST 会被接受（RFC 5961 §3），连接被杀死；之后受害方会用自己的 RST 回应真正对端的下一个报文段。',
    ['rst', 'rst-challenge-ack'],
  ),
  t(
    'window-probe',
    'anomaly',
    [],
    ['Window probe', '窗口探测'],
    "A segment sent while the peer's window is 0 that makes the peer announce its window: Linux's empty probe at SND.UNA−1, or a 1-byte probe.",
    '在对方窗口为 0 时发送、促使对方通告窗口的报文段：Linux 发送序列号为 SND.UNA−1 的空报文段，或者 1 字节的探测。',
    ['zero-window-probe'],
  ),
];

const CONCEPT_TOPICS: Topic[] = [
  t(
    'three-way-handshake',
    'concept',
    ['handshake', '三次握手'],
    ['The three-way handshake', '三次握手'],
    'SYN (seq=x), SYN+ACK (seq=y, ack=x+1), ACK (seq=x+1, ack=y+1). Three segments are the fewest that let each side announce its ISN and have it acknowledged — and let the client reject a SYN+ACK that answers an old duplicate SYN (see old-duplicate-syn). A SYN and a FIN consume one sequence number each; the ACK, without data, consumes none. The client is ESTABLISHED after the second segment (connect() returns), the server after the third (accept() can return).',
    'SYN（seq=x）、SYN+ACK（seq=y，ack=x+1）、ACK（seq=x+1，ack=y+1）。三个报文段是让双方各自宣布初始序列号并得到确认的最少次数——也让客户端能够拒绝回应旧的重复 SYN 的 SYN+ACK（见 old-duplicate-syn）。SYN 和 FIN 各消耗一个序列号；不带数据的 ACK 不消耗。客户端在第二个报文段之后进入 ESTABLISHED（connect() 返回），服务端在第三个之后进入（accept() 可以返回）。',
    ['old-duplicate-syn', 'isn', 'syn-queue', 'accept-queue'],
  ),
  t(
    'old-duplicate-syn',
    'concept',
    ['why-three', 'two-way-handshake'],
    ['Why three segments: the old duplicate SYN', '为什么是三次握手：旧的重复 SYN'],
    "A SYN from an earlier incarnation of a connection, delayed in the network, can reach a server after the client has started over (RFC 9293 §3.5 Figure 8). With a two-way handshake the server would open a connection on it and send data nobody wants. With three, the server's SYN+ACK acknowledges the old ISN; the client sees an acknowledgment of a SYN it did not send, answers RST, and the server returns to LISTEN. `synack lab run old-duplicate-syn` shows it.",
    '一个连接早先化身的 SYN 在网络中滞留，可能在客户端重新发起连接之后才到达服务端（RFC 9293 §3.5 图 8）。如果只有两次握手，服务端会凭它建立连接，发送没人要的数据。有了三次握手，服务端的 SYN+ACK 确认的是旧的初始序列号；客户端发现对方确认的是自己没有发出的 SYN，回复 RST，服务端回到 LISTEN。`synack lab run old-duplicate-syn` 演示了这一过程。',
    ['three-way-handshake', 'isn'],
  ),
  t(
    'isn',
    'concept',
    ['initial-sequence-number', 'ISN', '初始序列号'],
    ['Why ISNs are random', '为什么初始序列号是随机的'],
    "Each side chooses its initial sequence number from a clock plus a keyed hash of the 4-tuple (RFC 9293 §3.4.1, RFC 6528), not from 0: segments of an earlier connection on the same ports then fall outside the new connection's sequence space, and an attacker off the path cannot guess the numbers needed to inject data or a RST. Tools show sequence numbers relative to the ISN (seq=0 for the SYN) to make them readable.",
    '双方都用时钟加上对四元组的带密钥哈希来选择初始序列号（RFC 9293 §3.4.1，RFC 6528），而不是从 0 开始：这样同一对端口上旧连接的报文段落不进新连接的序列号空间，不在路径上的攻击者也猜不出注入数据或 RST 所需的序列号。工具显示的是相对于初始序列号的相对序列号（SYN 的 seq=0），便于阅读。',
    ['three-way-handshake', 'rst-suspect-forged'],
  ),
  t(
    'four-way-teardown',
    'concept',
    ['teardown', '四次挥手', '四次分手'],
    ['The four-way teardown', '四次挥手'],
    'FIN (seq=u), ACK (ack=u+1), FIN (seq=w), ACK (ack=w+1): each direction is closed on its own, because after the first FIN the other side may still have data to send (half-close). When the second side closes within its delayed-ACK time, its FIN carries the ACK and the teardown takes three segments. The side that closes first ends in TIME_WAIT.',
    'FIN（seq=u）、ACK（ack=u+1）、FIN（seq=w）、ACK（ack=w+1）：两个方向分别关闭，因为第一个 FIN 之后，另一方可能还有数据要发送（半关闭）。如果后关闭的一方在延迟确认的时间内就关闭，它的 FIN 会捎带 ACK，挥手只需三个报文段。率先关闭的一方最后进入 TIME_WAIT。',
    ['half-close', 'time-wait', 'simultaneous-close', 'fin-with-data'],
  ),
  t(
    'fin-with-data',
    'concept',
    [],
    ['FIN with data', '携带数据的 FIN'],
    'When close() follows the last write at once, the FIN rides on the last data segment (FIN+PSH+ACK with a payload); its sequence number comes right after the last byte.',
    '最后一次写之后立即 close() 时，FIN 搭在最后一个数据报文段上（带数据的 FIN+PSH+ACK）；FIN 的序列号紧跟在最后一个字节之后。',
    ['four-way-teardown'],
  ),
  t(
    'msl',
    'concept',
    ['MSL', '2MSL', 'maximum-segment-lifetime'],
    ['MSL, maximum segment lifetime', 'MSL（报文段最大生存时间）'],
    'The longest time a segment is assumed to survive in the network. RFC 793 set it at 2 minutes; TIME_WAIT lasts 2×MSL (4 minutes there) so that no segment of the old connection is still around when the 4-tuple is used again. Books differ (HTTP: The Definitive Guide calls 2MSL "usually 2 minutes"; stacks have used MSLs of 30 s to 2 min). Linux does not use an MSL: its TIME_WAIT is a fixed 60 s. No capture shows the MSL or a TIME_WAIT running: no segment carries its age (the IP TTL counts hops), and a socket waits and leaves TIME_WAIT without sending anything; a capture can only bound it, when a new connection reuses the same port pair. `--msl M` tells synack to assume TIME_WAIT = 2M.',
    '假定报文段在网络中能存活的最长时间。RFC 793 规定为 2 分钟；TIME_WAIT 持续 2×MSL（即 4 分钟），保证四元组再次使用时，旧连接的报文段都已消失。各书说法不一（《HTTP 权威指南》说 2MSL“通常为 2 分钟”；各协议栈用过 30 秒到 2 分钟的 MSL）。Linux 不使用 MSL：它的 TIME_WAIT 固定为 60 秒。抓包既看不到 MSL，也看不到 TIME_WAIT 的计时：报文段不携带自己的“年龄”（IP 的 TTL 计的是跳数），套接字在 TIME_WAIT 中等待和离开时都不发送任何报文；只有当新连接再次使用同一对端口时，抓包才能给出它的上限。`--msl M` 让 synack 假定 TIME_WAIT = 2M。',
    ['time-wait'],
  ),
  t(
    'syn-queue',
    'concept',
    ['half-open-queue', '半连接队列', 'SYN queue'],
    ['The SYN queue (half-open connections)', '半连接队列（SYN 队列）'],
    "Where a listener keeps the connections in SYN_RECEIVED (netstat's SYN_RECV): SYN received, SYN+ACK sent, third segment not yet arrived. Linux bounds it by the listen() backlog (at most net.core.somaxconn): it is full once it holds more half-open connections than that. A SYN that finds it full is answered with a SYN cookie when net.ipv4.tcp_syncookies is 1 (the default), or dropped silently when it is 0; with cookies off, net.ipv4.tcp_max_syn_backlog also keeps its last quarter for peers known to be alive. A SYN flood fills it.",
    '监听套接字存放处于 SYN_RECEIVED（netstat 中的 SYN_RECV）的连接的地方：已收到 SYN、已回复 SYN+ACK、第三次握手还没到。Linux 用 listen() 的 backlog（且不超过 net.core.somaxconn）限制它：半连接数超过这个值，队列就满了。队列满时到达的 SYN，在 net.ipv4.tcp_syncookies 为 1（默认）时用 SYN Cookie 回应，为 0 时被悄悄丢弃；关闭 cookie 时，net.ipv4.tcp_max_syn_backlog 还会把最后四分之一的位置留给确认过存活的对端。SYN 洪泛攻击就是要把它填满。',
    ['accept-queue', 'tcp-max-syn-backlog', 'tcp-syncookies', 'syn-flood'],
  ),
  t(
    'accept-queue',
    'concept',
    ['全连接队列', 'accept queue', 'backlog'],
    ['The accept queue (completed connections)', '全连接队列（accept 队列）'],
    'Where a listener keeps ESTABLISHED connections until the application calls accept(). Its limit is min(listen() backlog, net.core.somaxconn); Linux counts it full once it holds more than that (backlog + 1 fit). When it is full, Linux drops new SYNs and the third segment of the handshake: the half-open connection stays in SYN_RECEIVED and resends its SYN+ACK, while the client, already ESTABLISHED, sees its data unacknowledged. With net.ipv4.tcp_abort_on_overflow = 1 that ACK is answered with a RST instead. ss -lnt shows its current length in Recv-Q and its limit in Send-Q; nstat counts ListenOverflows. `synack lab run accept-queue-full` (and accept-queue-abort) shows both.',
    '监听套接字存放已经 ESTABLISHED、等待应用程序 accept() 的连接的地方。它的上限是 min(listen() 的 backlog, net.core.somaxconn)；超过这个数目 Linux 才认为它满了（能放 backlog + 1 个）。队列满时，Linux 丢弃新的 SYN 和第三次握手的 ACK：半连接留在 SYN_RECEIVED 并重传 SYN+ACK，而已经 ESTABLISHED 的客户端会发现自己的数据得不到确认。net.ipv4.tcp_abort_on_overflow = 1 时则用 RST 回应那个 ACK。ss -lnt 的 Recv-Q 显示当前长度，Send-Q 显示上限；nstat 的 ListenOverflows 统计溢出次数。`synack lab run accept-queue-full`（以及 accept-queue-abort）演示了这两种情况。',
    ['syn-queue', 'somaxconn', 'tcp-abort-on-overflow'],
  ),
  t(
    'syn-data',
    'concept',
    ['data-in-syn', 'handshake-data', 'tcp-fast-open', 'TFO', 'TCP Fast Open', '握手携带数据'],
    ['Can the handshake carry data?', '握手能携带数据吗？'],
    "Yes, but not usefully without TCP Fast Open. RFC 9293 §3.4 lets a SYN carry data, yet the receiver must hold it until the handshake completes, and Linux without TFO simply does not acknowledge it (the sender resends it after the handshake). With TCP Fast Open (RFC 7413) a client that already has the server's cookie sends data in its SYN and the server delivers it at once, saving a round trip: the SYN+ACK then acknowledges ISN + 1 + the data's length. The cookie comes from an earlier connection, whose SYN carried an empty Fast Open option (tcpdump: tfo cookiereq) and whose SYN+ACK the cookie (tfo cookie …). So the textbook's \"a SYN cannot carry data\" describes the classic handshake, not TCP. `synack lab run tcp-fast-open` shows both connections. The third segment can always carry data: every segment after the SYN has ACK set, so the client's first data segment completes the handshake even when its pure ACK is lost.",
    '能，但没有 TCP Fast Open 时用处不大。RFC 9293 §3.4 允许 SYN 携带数据，但接收方必须等握手完成才能交付；没有 TFO 的 Linux 干脆不确认这些数据（发送方在握手后重发）。使用 TCP Fast Open（RFC 7413）时，已经拿到服务端 cookie 的客户端可以在 SYN 里带上数据，服务端立即交付，省下一个往返：此时 SYN+ACK 确认的是初始序列号 + 1 + 数据长度。cookie 来自先前的一个连接：那个连接的 SYN 带一个空的 Fast Open 选项（tcpdump 显示 tfo cookiereq），SYN+ACK 带回 cookie（tfo cookie …）。所以教科书上“SYN 报文不能携带数据”说的是经典的三次握手，而不是 TCP 的规定。`synack lab run tcp-fast-open` 演示了这两个连接。第三次握手总是可以携带数据：SYN 之后的每个报文段都带 ACK，所以即使单独的 ACK 丢了，客户端的第一个数据报文段也能完成握手。',
    ['three-way-handshake', 'syn-sent'],
  ),
  t(
    'syn-flood',
    'concept',
    ['SYN flood', 'SYN洪泛'],
    ['SYN flood', 'SYN 洪泛攻击'],
    "SYNs from spoofed addresses that never answer the SYN+ACK fill the listener's SYN queue with half-open connections, so real clients' SYNs are dropped and they retry after 1, 2, 4 s… With net.ipv4.tcp_syncookies the server keeps no state for a SYN: it encodes it in the SYN+ACK's sequence number and rebuilds the connection from the returning ACK, so real clients get through. `synack states` counts SYN_RECEIVED per server; `synack lab run syn-flood` shows it.",
    '来自伪造地址、永远不会回应 SYN+ACK 的 SYN，把监听套接字的半连接队列塞满，真正客户端的 SYN 被丢弃，只能在 1、2、4 秒……后重试。打开 net.ipv4.tcp_syncookies 后，服务端不为 SYN 保存状态，而是把它编码进 SYN+ACK 的序列号，等 ACK 回来时再重建连接，真正的客户端就能连上。`synack states` 按服务端统计 SYN_RECEIVED；`synack lab run syn-flood` 演示了这一过程。',
    ['syn-queue', 'tcp-syncookies', 'syn-received'],
  ),
  t(
    'rst',
    'concept',
    ['reset', 'RST', 'abort'],
    ['RST: reset', 'RST（重置）'],
    'A RST ends a connection at once, without TIME_WAIT and without being acknowledged. A stack sends one in answer to a segment for a connection that does not exist (a closed port: connection refused), or when an application aborts (SO_LINGER 0, or close() with unread data), or when a listener too busy to take a completed handshake (a full accept queue) has net.ipv4.tcp_abort_on_overflow = 1. Its receiver accepts it only at exactly RCV.NXT (RFC 5961); in the window it answers with a challenge ACK, outside it ignores it.',
    'RST 立即结束连接，不经过 TIME_WAIT，也不需要确认。协议栈在收到发给不存在的连接的报文段时（端口未监听：连接被拒绝），或者应用程序中止连接时（SO_LINGER 为 0，或接收缓冲区还有未读数据就 close()），或者监听套接字忙不过来、全连接队列已满而 net.ipv4.tcp_abort_on_overflow = 1 时，发出 RST。接收方只在序列号恰好等于 RCV.NXT 时接受它（RFC 5961）；落在窗口内则回复挑战 ACK，窗口外则忽略。',
    ['so-linger', 'rst-challenge-ack', 'rst-suspect-forged'],
  ),
  t(
    'port-exhaustion',
    'concept',
    ['ephemeral-ports', '端口耗尽'],
    ['Port exhaustion', '端口耗尽'],
    'A client that opens and closes connections to one server:port faster than its ephemeral ports (net.ipv4.ip_local_port_range, 32768–60999 by default: 28 232 ports) leave TIME_WAIT runs out: 28 232 ÷ 60 s ≈ 470 connections/s. connect() then fails with EADDRNOTAVAIL. Remedies: keep connections alive, let the server close first, or net.ipv4.tcp_tw_reuse. `synack states` reports it.',
    '客户端向同一个服务端地址和端口频繁建立又关闭连接，速度超过临时端口（net.ipv4.ip_local_port_range，默认 32768–60999，共 28 232 个）离开 TIME_WAIT 的速度，端口就会耗尽：28 232 ÷ 60 秒 ≈ 每秒 470 个连接。此时 connect() 以 EADDRNOTAVAIL 失败。对策：使用长连接、让服务端先关闭，或打开 net.ipv4.tcp_tw_reuse。`synack states` 会报告这种情况。',
    ['time-wait', 'tcp-tw-reuse'],
  ),
  t(
    'last-ack-lost',
    'concept',
    [],
    ['The last ACK lost', '最后一个 ACK 丢失'],
    "If the active closer's last ACK is lost, the passive closer in LAST_ACK resends its FIN after its RTO; the active closer, still in TIME_WAIT, acknowledges it again and restarts its TIME_WAIT. Without TIME_WAIT it would answer with RST and the peer would report an error. `synack lab run last-ack-lost` shows it.",
    '如果主动关闭方的最后一个 ACK 丢失，处于 LAST_ACK 的被动关闭方会在重传超时后重发 FIN；仍处于 TIME_WAIT 的主动关闭方再确认一次，并重新开始 TIME_WAIT 计时。如果没有 TIME_WAIT，它只能回复 RST，对方会报错。`synack lab run last-ack-lost` 演示了这一过程。',
    ['time-wait', 'last-ack'],
  ),
];

const SETTING_TOPICS: Topic[] = [
  t(
    'tcp-syn-retries',
    'setting',
    ['net.ipv4.tcp_syn_retries', 'tcp_syn_retries'],
    ['net.ipv4.tcp_syn_retries', 'net.ipv4.tcp_syn_retries'],
    'How many times Linux resends an unanswered SYN (default 6). The timer starts at 1 s and doubles: SYNs at 0, 1, 3, 7, 15, 31, 63 s, then connect() fails with ETIMEDOUT at about 127 s. In a capture: the number of SYN retransmissions and their 1-2-4 s gaps.',
    'Linux 重发未得到应答的 SYN 的次数（默认 6）。计时器从 1 秒开始翻倍：SYN 在 0、1、3、7、15、31、63 秒发出，大约 127 秒时 connect() 以 ETIMEDOUT 失败。在抓包中体现为 SYN 重传的次数和 1、2、4 秒的间隔。',
    ['syn-retransmission', 'syn-sent'],
  ),
  t(
    'tcp-synack-retries',
    'setting',
    ['net.ipv4.tcp_synack_retries', 'tcp_synack_retries'],
    ['net.ipv4.tcp_synack_retries', 'net.ipv4.tcp_synack_retries'],
    'How many times Linux resends a SYN+ACK whose ACK does not come (default 5: after 1, 2, 4, 8, 16 s), before dropping the half-open connection from the SYN queue (about 63 s).',
    'Linux 在收不到 ACK 时重发 SYN+ACK 的次数（默认 5：在 1、2、4、8、16 秒后），之后把这个半连接从半连接队列中删除（大约 63 秒）。',
    ['synack-retransmission', 'syn-received'],
  ),
  t(
    'tcp-max-syn-backlog',
    'setting',
    ['net.ipv4.tcp_max_syn_backlog', 'tcp_max_syn_backlog'],
    ['net.ipv4.tcp_max_syn_backlog', 'net.ipv4.tcp_max_syn_backlog'],
    "Only matters with net.ipv4.tcp_syncookies=0: once a listener's half-open connections leave less than a quarter of tcp_max_syn_backlog free, SYNs from peers not proven alive are dropped. The SYN queue itself is bounded by the listen() backlog (at most net.core.somaxconn).",
    '只在 net.ipv4.tcp_syncookies=0 时起作用：监听套接字的半连接使 tcp_max_syn_backlog 剩余不足四分之一时，来自未确认存活的对端的 SYN 被丢弃。半连接队列本身由 listen() 的 backlog（且不超过 net.core.somaxconn）限制。',
    ['syn-queue', 'syn-flood'],
  ),
  t(
    'somaxconn',
    'setting',
    ['net.core.somaxconn'],
    ['net.core.somaxconn', 'net.core.somaxconn'],
    "The cap on the accept queue: a listener's queue holds min(backlog, somaxconn) completed connections (4096 since Linux 5.4, 128 before).",
    '全连接队列的上限：监听套接字最多容纳 min(backlog, somaxconn) 个已完成的连接（Linux 5.4 起为 4096，之前为 128）。',
    ['accept-queue'],
  ),
  t(
    'tcp-syncookies',
    'setting',
    ['net.ipv4.tcp_syncookies', 'syncookies', 'SYN cookies'],
    ['net.ipv4.tcp_syncookies', 'net.ipv4.tcp_syncookies'],
    "With 1 (the default), when the SYN queue is full Linux answers SYNs with a SYN+ACK whose sequence number encodes the connection (a cookie: a keyed hash of the 4-tuple, a minute counter and the peer's MSS) and keeps no state, so that SYN+ACK is never retransmitted; the returning ACK (ACK − 1 is the cookie) creates the connection directly as ESTABLISHED. Window scale and SACK survive only in the timestamp option's low bits: a SYN without timestamps gets a SYN+ACK with MSS alone. 2 sends cookies always, 0 never (SYNs are dropped when the queue is full). RFC 4987 §3.6.",
    '取值 1（默认）时，半连接队列满了以后，Linux 用序列号中编码了连接信息的 SYN+ACK 回应 SYN（cookie：四元组的带密钥哈希、分钟计数器和对端的 MSS），不保存任何状态，所以这个 SYN+ACK 永远不会重传；ACK 回来时（ACK − 1 就是 cookie）直接以 ESTABLISHED 状态建立连接。窗口扩大因子和 SACK 只能藏在时间戳选项的低位里：不带时间戳的 SYN 得到的 SYN+ACK 只有 MSS 选项。取值 2 时总是使用 cookie，0 时从不使用（队列满时丢弃 SYN）。参见 RFC 4987 §3.6。',
    ['syn-flood', 'syn-queue'],
  ),
  t(
    'tcp-tw-reuse',
    'setting',
    ['net.ipv4.tcp_tw_reuse', 'tcp_tw_reuse'],
    ['net.ipv4.tcp_tw_reuse', 'net.ipv4.tcp_tw_reuse'],
    "Lets a new outgoing connection take over a 4-tuple still in the client's own TIME_WAIT when TCP timestamps prove its segments are newer (and at least 1 s has passed). It does not shorten TIME_WAIT; it only applies to connect(). (tcp_tw_recycle, which broke clients behind NAT, was removed in Linux 4.12.)",
    '当 TCP 时间戳能证明新连接的报文段更新（并且已过去至少 1 秒）时，允许新的主动连接接管客户端自己仍处于 TIME_WAIT 的四元组。它并不缩短 TIME_WAIT，只对 connect() 起作用。（会让 NAT 后的客户端出错的 tcp_tw_recycle 已在 Linux 4.12 中删除。）',
    ['time-wait', 'port-exhaustion'],
  ),
  t(
    'tcp-fin-timeout',
    'setting',
    ['net.ipv4.tcp_fin_timeout', 'tcp_fin_timeout'],
    ['net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_fin_timeout'],
    "How long an orphaned socket (closed by its application) may stay in FIN_WAIT_2 waiting for the peer's FIN (default 60 s). It is not the TIME_WAIT length.",
    '孤儿套接字（应用程序已关闭）在 FIN_WAIT_2 等待对方 FIN 的最长时间（默认 60 秒）。它不是 TIME_WAIT 的时长。',
    ['fin-wait-2'],
  ),
  t(
    'so-linger',
    'setting',
    ['SO_LINGER', 'linger'],
    ['SO_LINGER', 'SO_LINGER'],
    "With SO_LINGER {on, 0}, close() sends a RST instead of a FIN and discards unsent data: no FIN_WAIT, no TIME_WAIT, and the peer's next read fails with ECONNRESET. Linux also resets when close() finds unread data in the receive buffer.",
    '设置 SO_LINGER {on, 0} 后，close() 发出 RST 而不是 FIN，并丢弃未发送的数据：没有 FIN_WAIT，也没有 TIME_WAIT，对方下一次读会得到 ECONNRESET。接收缓冲区里还有未读数据时调用 close()，Linux 也会发出 RST。',
    ['rst', 'time-wait'],
  ),
  t(
    'tcp-abort-on-overflow',
    'setting',
    ['net.ipv4.tcp_abort_on_overflow', 'tcp_abort_on_overflow', 'abort_on_overflow'],
    ['net.ipv4.tcp_abort_on_overflow', 'net.ipv4.tcp_abort_on_overflow'],
    "What a listener does with the third segment of a handshake when its accept queue is full. 0 (the default): it drops the ACK, keeps the half-open connection in SYN_RECEIVED and resends its SYN+ACK later, hoping the application has accept()ed by then; the client, ESTABLISHED already, sees its first data go unacknowledged. 1: it answers the ACK with a RST (no ACK bit, seq = the ACK's acknowledgment number) and forgets the connection, so the client's first read or write fails with ECONNRESET. 1 only helps when overflows are not momentary; the usual fix is a larger backlog (and somaxconn) or an application that accepts faster. `synack lab run accept-queue-abort` shows it.",
    '监听套接字的全连接队列满时，怎样处理握手的第三个报文段。0（默认）：丢弃这个 ACK，半连接留在 SYN_RECEIVED，稍后重传 SYN+ACK，指望应用程序到时已经 accept()；已经 ESTABLISHED 的客户端会发现第一批数据得不到确认。1：用 RST 回应这个 ACK（不带 ACK 标志，序列号等于那个 ACK 的确认号），并丢掉这个连接，客户端下一次读或写以 ECONNRESET 失败。只有溢出不是偶发时设为 1 才有意义；通常的做法是加大 backlog（和 somaxconn），或者让应用程序更快地 accept()。`synack lab run accept-queue-abort` 演示了这一情况。',
    ['accept-queue', 'somaxconn'],
  ),
];

export const TOPICS: readonly Topic[] = [
  ...STATE_TOPICS,
  ...ANOMALY_TOPICS,
  ...CONCEPT_TOPICS,
  ...SETTING_TOPICS,
];

const norm = (s: string) => s.toLowerCase().replace(/[\s_.]+/g, '-');

/** The topic named `name`: its id or any of its names, case and `_`/`-`/`.` ignored. */
export function findTopic(name: string): Topic | undefined {
  const n = norm(name);
  return TOPICS.find((x) => x.id === n || x.names.some((a) => norm(a) === n));
}

/** The topic of a state (every state has one). */
export function topicForState(s: StateName): Topic {
  return findTopic(s) as Topic;
}

/** The topic of an event kind (every kind has one). */
export function topicForEvent(k: EventKind): Topic {
  return findTopic(k) as Topic;
}

const GROUP_TITLE: Record<TopicGroup, { en: string; zh: string }> = {
  state: { en: 'States', zh: '状态' },
  anomaly: { en: 'Events and anomalies', zh: '事件与异常' },
  concept: { en: 'Concepts', zh: '概念' },
  setting: { en: 'Kernel and socket settings', zh: '内核与套接字设置' },
};

/** `synack explain --topic T`: the title, the other names, the text, related topics. */
export function topicText(topic: Topic, lang: 'en' | 'zh'): string[] {
  const out = [topic.title[lang]];
  const others = topic.names.filter((n) => n !== topic.title.en);
  if (others.length > 0) out.push(`${lang === 'zh' ? '又称' : 'Also'}: ${others.join(', ')}`);
  out.push('', topic.text[lang]);
  if (topic.see.length > 0) out.push('', `${lang === 'zh' ? '参见' : 'See also'}: ${topic.see.join(', ')}`);
  return out;
}

/** `synack explain --topic list`: every topic id with its title, by group. */
export function topicList(lang: 'en' | 'zh'): string[] {
  const out: string[] = [];
  for (const g of ['state', 'anomaly', 'concept', 'setting'] as const) {
    if (out.length > 0) out.push('');
    out.push(`${GROUP_TITLE[g][lang]}:`);
    const ids = TOPICS.filter((x) => x.group === g);
    const w = Math.max(...ids.map((x) => x.id.length));
    for (const x of ids) out.push(`  ${x.id.padEnd(w)}  ${x.title[lang]}`);
  }
  return out;
}
