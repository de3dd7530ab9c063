// 中文说明（`synack explain --lang zh`）：RFC 9293 状态转换表（src/tcp/transitions.ts）的每一行、
// 每一种分析事件（src/track/kinds.ts）各有一句话，另有报文段、数据传输与总结的句子。用词取自
// 中文读者熟悉的文章（三次握手、四次挥手、半关闭、半连接、同时打开、同时关闭），状态名保留
// TIME_WAIT、CLOSE_WAIT 等英文写法，与 netstat 一致。explain.ts 决定说什么，本文件只负责怎么说。

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

const who = (s: Side) => (s === 'orig' ? '客户端' : '服务端');
const peer = (s: Side) => (s === 'orig' ? '服务端' : '客户端');
const otherSideOf = (s: Side): Side => (s === 'orig' ? 'resp' : 'orig');

/** 各状态的含义，用于描述在该状态下收到 RST 或主动中止。 */
const GLOSS: Record<StateName, string> = {
  CLOSED: '没有连接',
  LISTEN: '正在监听',
  SYN_SENT: '已发出 SYN，正在等待对方应答',
  SYN_RECEIVED: '握手进行到一半',
  ESTABLISHED: '连接已建立',
  FIN_WAIT_1: '已发出 FIN，尚未得到确认',
  FIN_WAIT_2: '自己的 FIN 已被确认，正在等待对方的 FIN',
  CLOSE_WAIT: '对方已关闭，本端应用程序尚未关闭',
  CLOSING: '双方的 FIN 都已发出，自己的 FIN 尚未被确认',
  LAST_ACK: '正在等待对自己 FIN 的确认',
  TIME_WAIT: '正处于 TIME_WAIT 等待期',
  UNKNOWN: '处于抓包中看不出的状态',
};

const rstIn = (c: TransitionCtx) =>
  `${who(c.who)}在 ${c.from} 状态（${GLOSS[c.from]}）下接受了这个 RST，立即拆除连接，进入 CLOSED 状态，尚未发送或读取的数据全部丢弃。`;
const abortIn = (c: TransitionCtx) =>
  `${who(c.who)}在 ${c.from} 状态（${GLOSS[c.from]}）下中止连接：发出的是 RST 而不是 FIN，直接进入 CLOSED 状态，未发送的数据被丢弃。`;
const giveUpIn = (c: TransitionCtx) =>
  `${who(c.who)}在 ${c.from} 状态下多次重传都没有得到应答，超时放弃，连接进入 CLOSED 状态。`;

const transitions: Phrasebook['transitions'] = {
  'CLOSED open-passive LISTEN': (c) => `${who(c.who)}打开监听套接字，进入 LISTEN 状态，准备接受连接。`,
  'CLOSED open-active SYN_SENT': (c) =>
    `${who(c.who)}从 CLOSED 进入 SYN_SENT 状态：已发起连接请求，正在等待对方应答。`,
  'LISTEN open-active SYN_SENT': (c) =>
    `${who(c.who)}的监听套接字改为主动打开，从 LISTEN 进入 SYN_SENT 状态。`,
  'LISTEN rcv-syn SYN_RECEIVED': (c) =>
    `${who(c.who)}收到 SYN，从 LISTEN 进入 SYN_RECEIVED 状态；在收到第三次握手的 ACK 之前，这是一个半连接。`,
  'LISTEN close CLOSED': (c) => `${who(c.who)}停止监听，从 LISTEN 回到 CLOSED 状态。`,
  'SYN_SENT rcv-syn-ack ESTABLISHED': (c) =>
    `${who(c.who)}收到确认自己 SYN 的 SYN+ACK，从 SYN_SENT 进入 ESTABLISHED 状态：对${who(c.who)}来说，连接已经建立。`,
  'SYN_SENT rcv-syn SYN_RECEIVED': (c) =>
    `${who(c.who)}自己的 SYN 还没有得到应答，却收到了对方的 SYN——这就是同时打开，${who(c.who)}从 SYN_SENT 进入 SYN_RECEIVED 状态。`,
  'SYN_SENT close CLOSED': (c) => `${who(c.who)}放弃了这次连接尝试，从 SYN_SENT 回到 CLOSED 状态。`,
  'SYN_SENT abort CLOSED': (c) => `${who(c.who)}中止了这次连接尝试，从 SYN_SENT 进入 CLOSED 状态。`,
  'SYN_SENT rcv-rst CLOSED': (c) =>
    `${who(c.who)}的 SYN 换来了一个 RST：连接被拒绝（该端口上没有程序在监听），${who(c.who)}从 SYN_SENT 进入 CLOSED 状态。`,
  'SYN_SENT timeout-give-up CLOSED': (c) =>
    `${who(c.who)}多次重传 SYN 都没有得到应答，只好放弃，从 SYN_SENT 回到 CLOSED 状态（connect() 超时）。`,
  'SYN_RECEIVED rcv-ack-of-syn ESTABLISHED': (c) =>
    c.synAck
      ? `${who(c.who)}收到${peer(c.who)}的 SYN+ACK，其中确认了自己的 SYN，于是从 SYN_RECEIVED 进入 ESTABLISHED 状态：同时打开完成。`
      : `${who(c.who)}收到对自己 SYN 的确认，即第三次握手，从 SYN_RECEIVED 进入 ESTABLISHED 状态。`,
  'SYN_RECEIVED rcv-fin CLOSE_WAIT': (c) =>
    `${who(c.who)}在同一个报文段里既收到了完成握手的 ACK，又收到了对方的 FIN：从 SYN_RECEIVED 经过 ESTABLISHED 直接进入 CLOSE_WAIT 状态。`,
  'SYN_RECEIVED close FIN_WAIT_1': (c) =>
    `握手尚未完成，${who(c.who)}就要关闭连接：发出 FIN，从 SYN_RECEIVED 进入 FIN_WAIT_1 状态。`,
  'SYN_RECEIVED rcv-rst LISTEN': (c) =>
    `${who(c.who)}在 SYN_RECEIVED 状态下接受了 RST；由于它是被动打开的一方，只需丢弃这个半连接，回到 LISTEN 状态（RFC 9293 §3.10.7.4）。`,
  'SYN_RECEIVED rcv-rst CLOSED': (c) =>
    `${who(c.who)}在 SYN_RECEIVED 状态下接受了 RST；由于它是主动打开的一方，连接进入 CLOSED 状态。`,
  'SYN_RECEIVED rcv-syn LISTEN': (c) =>
    `${who(c.who)}在 SYN_RECEIVED 状态下又收到一个落在窗口内的新 SYN：先前那个 SYN 是网络中滞留的旧报文，于是丢弃这个半连接，回到 LISTEN 状态。`,
  'SYN_RECEIVED abort CLOSED': (c) =>
    `${who(c.who)}中止了这个半连接：发出 RST，从 SYN_RECEIVED 进入 CLOSED 状态。`,
  'SYN_RECEIVED timeout-give-up CLOSED': (c) =>
    `${who(c.who)}多次重传 SYN+ACK 都没有收到确认，放弃这个半连接，从 SYN_RECEIVED 进入 CLOSED 状态。`,
  'ESTABLISHED close FIN_WAIT_1': (c) =>
    c.simultaneous
      ? `${who(c.who)}与${peer(c.who)}同时关闭连接：在${peer(c.who)}的 FIN 到达之前就发出了自己的 FIN，从 ESTABLISHED 进入 FIN_WAIT_1 状态。`
      : `${who(c.who)}率先关闭连接（主动关闭）：发出 FIN，从 ESTABLISHED 进入 FIN_WAIT_1 状态。`,
  'ESTABLISHED rcv-fin CLOSE_WAIT': (c) =>
    `${who(c.who)}收到 FIN 并予以确认，从 ESTABLISHED 进入 CLOSE_WAIT 状态。此时连接处于半关闭：${peer(c.who)}不再发送数据，但${who(c.who)}在自己的应用程序关闭之前仍可继续发送。`,
  'FIN_WAIT_1 rcv-ack-of-fin FIN_WAIT_2': (c) =>
    `${who(c.who)}的 FIN 得到确认，从 FIN_WAIT_1 进入 FIN_WAIT_2 状态，接下来等待${peer(c.who)}的 FIN。`,
  'FIN_WAIT_1 rcv-fin CLOSING': (c) =>
    `${who(c.who)}自己的 FIN 尚未被确认，就收到了${peer(c.who)}的 FIN——双方的 FIN 交错而过，这就是同时关闭，${who(c.who)}从 FIN_WAIT_1 进入 CLOSING 状态。`,
  'FIN_WAIT_1 rcv-fin-ack-of-fin TIME_WAIT': (c) =>
    `${who(c.who)}收到的 FIN 同时确认了自己的 FIN，因此跳过 FIN_WAIT_2，从 FIN_WAIT_1 直接进入 TIME_WAIT 状态，并在其中停留 ${c.timeWait}。`,
  'FIN_WAIT_2 rcv-fin TIME_WAIT': (c) =>
    `${who(c.who)}在 FIN_WAIT_2 状态下收到${peer(c.who)}的 FIN，回复 ACK 后进入 TIME_WAIT 状态，停留 ${c.timeWait}：万一最后这个 ACK 丢失，对方会重发 FIN，届时还能再次确认。`,
  'FIN_WAIT_2 rcv-fin-ack-of-fin TIME_WAIT': (c) =>
    `${who(c.who)}在 FIN_WAIT_2 状态下收到${peer(c.who)}的 FIN，回复 ACK 后进入 TIME_WAIT 状态，停留 ${c.timeWait}。`,
  'FIN_WAIT_2 timeout-fin-wait-2 CLOSED': (c) =>
    `${who(c.who)}在 FIN_WAIT_2 状态下等待${peer(c.who)}的 FIN 超过了 Linux 的 tcp_fin_timeout，于是释放这个孤儿套接字，进入 CLOSED 状态。`,
  'CLOSING rcv-ack-of-fin TIME_WAIT': (c) =>
    `${who(c.who)}在 CLOSING 状态下收到对自己 FIN 的确认，进入 TIME_WAIT 状态，停留 ${c.timeWait}。`,
  'CLOSE_WAIT close LAST_ACK': (c) =>
    `${who(c.who)}的应用程序也关闭了连接：发出自己的 FIN，从 CLOSE_WAIT 进入 LAST_ACK 状态，等待最后一个确认。`,
  'LAST_ACK rcv-ack-of-fin CLOSED': (c) =>
    `${who(c.who)}收到对自己 FIN 的确认，从 LAST_ACK 进入 CLOSED 状态：对${who(c.who)}来说，连接到此结束。`,
  'TIME_WAIT timeout-time-wait CLOSED': (c) =>
    `${who(c.who)}的 TIME_WAIT（${c.timeWait}）到期，进入 CLOSED 状态，这对地址和端口可以再次使用。`,
  'TIME_WAIT rcv-syn SYN_RECEIVED': (c) =>
    `${who(c.who)}处于 TIME_WAIT 状态时，在同一对地址和端口上收到新的 SYN，并把它当作新连接接受：从 TIME_WAIT 进入 SYN_RECEIVED 状态。`,
  'TIME_WAIT rcv-syn-reuse CLOSED': (c) =>
    `${who(c.who)}处于 TIME_WAIT 状态时收到序列号更大的 SYN，按 Linux 的做法提前结束旧连接（CLOSED），让新连接使用同一对端口。`,
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
    `${who(c.who)}在 TIME_WAIT 状态下接受了 RST，提前结束等待，进入 CLOSED 状态（即 RFC 1337 所说的“TIME_WAIT 暗杀”）。`,
  'TIME_WAIT abort CLOSED': (c) => `${who(c.who)}丢弃了处于 TIME_WAIT 的套接字，进入 CLOSED 状态。`,
  'LISTEN abort CLOSED': (c) => `${who(c.who)}关闭了监听套接字，从 LISTEN 进入 CLOSED 状态。`,
  'FIN_WAIT_1 timeout-give-up CLOSED': giveUpIn,
  'LAST_ACK timeout-give-up CLOSED': giveUpIn,
  'CLOSING timeout-give-up CLOSED': giveUpIn,
  'ESTABLISHED timeout-give-up CLOSED': giveUpIn,
  'CLOSE_WAIT timeout-give-up CLOSED': giveUpIn,
};

const since = (c: EventCtx) => (c.since ? ` ${c.since}前` : '此前');

const events: Phrasebook['events'] = {
  retransmission: (c) =>
    c.count > 1
      ? `这里有 ${c.count} 个重传报文段，第一个是第 ${c.frame} 帧，距原始报文段 ${c.since ?? '一段时间'}。`
      : c.since
        ? `这是一次重传：${who(c.who)}在${since(c)}已经发送过同样的数据，却没有及时收到确认。`
        : `Wireshark 把第 ${c.frame} 帧标记为重传，但抓包中并没有这些数据更早的副本：此前有一个自称来自${who(c.who)}的报文段带着更大的序列号（例如伪造的 RST）。`,
  'fast-retransmission': (c) =>
    c.count > 1
      ? `这里有 ${c.count} 次快速重传（第一次在第 ${c.frame} 帧）：发送方收到重复 ACK 后立即重发，不必等待重传计时器超时。`
      : `这是一次快速重传：${who(c.who)}收到重复 ACK，得知有报文段丢失，没等重传计时器超时就立即重发（原始报文段发送于${since(c)}）。`,
  'spurious-retransmission': (c) =>
    c.count > 1
      ? `这里有 ${c.count} 次伪重传（第一次在第 ${c.frame} 帧）：接收方早已确认过这些数据，重发纯属多余。`
      : `这是一次伪重传：接收方早已确认过这些数据（原始报文段发送于${since(c)}），这次重发纯属多余。`,
  'out-of-order': (c) =>
    c.count > 1
      ? `有 ${c.count} 个报文段乱序到达（第一个在第 ${c.frame} 帧）。`
      : '这个报文段乱序到达：它的序列号比先前的报文段还小。',
  'previous-segment-not-captured': (c) =>
    c.count > 1
      ? `抓包中有 ${c.count} 处缺口（第一处在第 ${c.frame} 帧之前）：这些数据在抓包点之前丢失，或者没有被抓到。`
      : '这个报文段之前的数据在抓包中缺失：它们在抓包点之前丢失，或者没有被抓到。',
  'acked-unseen-segment': (c) =>
    c.count > 1
      ? `有 ${c.count} 个确认覆盖了抓包中从未出现的数据（第一个在第 ${c.frame} 帧）。`
      : '这个 ACK 确认了抓包中从未出现过的数据：它们经过时没有被抓到。',
  'dup-ack': (c) =>
    c.count > 1
      ? `共有 ${c.count} 个重复 ACK：接收方发现有报文段缺失，于是反复发送同一个确认号；连续收到三个重复 ACK，发送方就会立即快速重传。`
      : `这是一个重复 ACK：${who(c.who)}重复了上一个确认号，因为有报文段缺失（握手阶段则是因为同一个 SYN+ACK 收到了两次）。`,
  'zero-window': (c) =>
    `${who(c.who)}通告零窗口：接收缓冲区已满，${peer(c.who)}必须暂停发送，直到窗口重新打开${c.count > 1 ? `（共 ${c.count} 次）` : ''}。`,
  'zero-window-probe': (c) =>
    `这是零窗口探测：${who(c.who)}询问${peer(c.who)}的窗口是否已经重新打开${c.belowSent ? '；Linux 的做法是发送一个不带数据的报文段，其序列号比已发送的数据少 1' : ''}。`,
  'zero-window-probe-ack': (c) => `${who(c.who)}回应零窗口探测，告知当前的窗口大小。`,
  'keep-alive': (c) =>
    c.intoZeroWindow
      ? `Wireshark 把它叫作保活（keep-alive）报文（不带数据${c.belowSent ? '，序列号比已发送的数据少 1' : ''}），但此时${peer(c.who)}的窗口为 0，它其实不是保活报文。`
      : `这是保活（keep-alive）报文：连接空闲一段时间后，${who(c.who)}发送一个${c.belowSent ? '序列号比已发送数据少 1 的' : ''}报文段，让${peer(c.who)}证明自己还在。`,
  'keep-alive-ack': (c) => `${who(c.who)}回应了保活报文：这一端的连接依然有效。`,
  'window-update': (c) =>
    c.count > 1
      ? `其中有 ${c.count} 个窗口更新报文：不带新数据，只通告更大的接收窗口。`
      : `这是窗口更新：${who(c.who)}没有发送新数据，只是通告了更大的接收窗口，${peer(c.who)}可以继续发送。`,
  'window-full': (c) =>
    `这个报文段填满了${peer(c.who)}通告的窗口：${who(c.who)}必须等到收到确认后才能继续发送。`,
  'port-reuse': () =>
    '端口复用：这个 SYN 使用的地址和端口与抓包中先前的一个连接相同，在这对旧端口上开始了一个新连接。',
  'syn-retransmission': (c) =>
    `${who(c.who)}第 ${c.copy ?? 2} 次发出 SYN${c.since ? `，距上一次 ${c.since}${c.sinceFirst ? `（距第一次 ${c.sinceFirst}）` : ''}` : ''}：没有及时收到 SYN+ACK。SYN 的重传计时器从 1 秒开始，每重试一次翻一倍（1 秒、2 秒、4 秒……）。`,
  'synack-retransmission': (c) =>
    c.afterSyn
      ? `这个 SYN+ACK 沿用了${who(c.who)}自己 SYN 的序列号（SYN 发送于 ${c.since}前），同时打开时总是如此：Wireshark 把它算作那个 SYN 的重传，其实并没有报文段丢失。`
      : `${who(c.who)}${c.since ? `在 ${c.since}后` : ''}重传了 SYN+ACK：没有及时收到对它的确认。`,
  'handshake-ack-lost': () =>
    '第三次握手的 ACK 丢失了：发出它的一方已经认为连接处于 ESTABLISHED 状态，而对方仍停留在 SYN_RECEIVED——这是一个半连接。',
  'simultaneous-open': () =>
    '双方都发出了不带 ACK 的 SYN：这是同时打开。双方各自用 SYN+ACK 应答对方，都要经过 SYN_RECEIVED 状态，握手共需四个报文段。',
  'simultaneous-close': () =>
    '双方在收到对方的 FIN 之前都发出了自己的 FIN：这是同时关闭。双方都会经过 CLOSING 状态，最后都进入 TIME_WAIT。',
  'half-close': (c) =>
    `这正是半关闭：${peer(c.who)}已经发出 FIN，不再发送数据，但仍在接收，${who(c.who)}则继续向它发送数据。`,
  'rst-out-of-window': (c) =>
    c.toListener
      ? `${peer(c.who)}处于 LISTEN 状态，监听中的一端忽略一切 RST（RFC 9293 §3.10.7.2），状态不变。`
      : `这个 RST 的序列号落在${peer(c.who)}的接收窗口之外，${peer(c.who)}直接忽略它，状态不变。`,
  'rst-challenge-ack': (c) =>
    `这是挑战 ACK（RFC 5961 第 3 节）：RST 的序列号虽在窗口内，却不正好等于期望的序列号，所以${who(c.who)}不关闭连接，而是回复一个 ACK；只有序列号恰好吻合的 RST 才会被接受。`,
  'rst-suspect-forged': (c) => {
    const exact = c.exactSeq ? `的序列号恰好是${peer(c.who)}期望的值，但它的 ` : '的 ';
    if (c.ttl !== undefined && c.otherTtls && c.otherTtls.length > 0 && !c.otherTtls.includes(c.ttl))
      return `这个 RST ${exact}TTL（${c.ttl}）与${who(c.who)}其他所有报文段的 TTL（${c.otherTtls.join('、')}）都不同：它很可能是第三方伪造的。`;
    return `这个 RST 与${who(c.who)}的其他报文段不符（TTL、IP ID、DF 位或选项不同，或者${who(c.who)}在它之后仍在发送）：很可能是伪造的。`;
  },
  'window-probe': (c) =>
    c.len === 0
      ? `这是窗口探测：${peer(c.who)}的窗口为 0，${who(c.who)}发送一个不带数据的报文段${c.belowSent ? '，序列号比已发送的数据少 1（Linux 的探测方式）' : ''}，促使${peer(c.who)}通告自己的窗口。`
      : `这是窗口探测：${peer(c.who)}的窗口为 0，${who(c.who)}越过窗口发送 ${c.len} 字节，促使${peer(c.who)}通告自己的窗口。`,
};

const ORDINAL = ['', '一', '二', '三', '四'];

function segmentOnly(c: SegmentCtx): string {
  const at = `[${c.time} 秒，第 ${c.frame} 帧]`;
  const W = who(c.who);
  const nums = `seq=${c.relSeq}${c.ack ? `，ack=${c.absAck ? c.ack_ : c.relAck}` : ''}`;
  const data = c.len > 0 ? `，携带 ${c.len} 字节数据` : '';
  if (c.rst) {
    switch (c.rstReading) {
      case 'forged':
        return `${at}一个自称来自${W}的 ${c.flags} 到达（${nums}）。`;
      case 'refusal':
        return `${at}${W}用 ${c.flags} 回应这个 SYN：seq=${c.seq}${c.ack ? `，ack=${c.ack_}（SYN 的初始序列号加 1）` : ''}。回应不带 ACK 的报文段时，RST 的序列号取 0，并确认那个 SYN（RFC 9293 §3.10.7.1）：这个端口上没有程序在监听。`;
      case 'unacceptable-ack': {
        const what = c.answersAck ? 'ACK' : 'SYN+ACK';
        return `${at}${W}发出 ${c.flags}，seq=${c.seq}，正是它所回应的 ${what} 中的确认号：那个 ${what} 确认的并不是${W}这次发出的 SYN，于是${W}拒绝它（RFC 9293 §3.10.7.3），继续在 SYN_SENT 状态等待。`;
      }
      case 'no-connection':
        return `${at}${W}发出 ${c.flags}（${nums}）：它这一端已经没有这个连接了，发给不存在的连接的报文段要用 RST 回应（RFC 9293 §3.10.7.1）。这个 RST 并不中止${W}自己的什么连接，而是让${peer(c.who)}拆除它那一端。`;
      case 'accept-overflow':
        return `${at}${W}发出 ${c.flags}（${nums}）回应${peer(c.who)}的${c.refusedData ? `第一个数据报文段（${c.refusedData} 字节，它带着握手的确认号）` : '握手 ACK'}：不带 ACK，序列号恰好是那个报文段的确认号——${W}拒绝了这个确认，没有完成握手，它的半连接也随之删除。${peer(c.who)}收到 SYN+ACK 时已进入 ESTABLISHED（connect() 已经返回），它接受这个 RST：下一次读或写会以 ECONNRESET 失败。`;
      case 'keepalive-give-up':
        return `${at}${W}发出 ${c.flags}（${nums}）：它的保活探测一直没有应答（tcp_keepalive_probes 次），于是认定${peer(c.who)}已经不在，拆除连接：${who(c.who)}从 ESTABLISHED 直接进入 CLOSED，不经过 TIME_WAIT。这不是应用程序的请求：它对这个套接字的下一次调用会以 ETIMEDOUT 失败。`;
      default:
        return c.likeNoConnection
          ? `${at}${W}发出 ${c.flags}（${nums}）回应${peer(c.who)}的报文段：不带 ACK，序列号恰好是对方的确认号——这是协议栈回应一个自己并没有的连接时的格式（RFC 9293 §3.10.7.1），而不是 Linux 中止连接时发的 RST+ACK。${W}很可能早已失去了这个连接，原因是一个抓包中看不到的 RST（伪造的，或者走了别的路径）。`
          : `${at}${W}发出 ${c.flags}（${nums}）：它直接中止连接，而不是正常关闭；RST 不需要应答。`;
    }
  }
  if (c.again && c.syn)
    return `${at}${W}再次发出 ${c.flags}，seq=0（初始序列号仍是 ${c.seq}）${c.ack ? `，ack=${c.relAck}` : ''}。`;
  if (c.syn && !c.ack) {
    const step = c.of === 4 ? `同时打开的第${ORDINAL[c.step] ?? c.step}步` : '第一次握手';
    return `${at}${W}发出 SYN（${step}）：它的初始序列号（ISN）是 ${c.seq}（相对序列号 seq=0）。SYN 要消耗一个序列号${c.len > 0 ? `，这个 SYN 还携带了 ${c.len} 字节数据（TCP Fast Open，RFC 7413）` : ''}。`;
  }
  if (c.syn && c.acksSynData)
    return `${at}${W}回复 SYN+ACK（第二次握手）：ack=${c.ack_}，即${peer(c.who)}的初始序列号加 1 再加 ${c.acksSynData}：它同时确认了 SYN 和 SYN 携带的 ${c.acksSynData} 字节数据——握手还没结束，${W}就已收下这些数据（TCP Fast Open）；它自己的初始序列号是 ${c.seq}（相对序列号 seq=0）。`;
  if (c.syn && c.ignoresSynData)
    return `${at}${W}回复 SYN+ACK（第二次握手）：ack=${c.ack_}，即${peer(c.who)}的初始序列号加 1（相对确认号 ack=1）：它只确认了 SYN，没有确认 SYN 携带的 ${c.ignoresSynData} 字节数据，所以${peer(c.who)}在握手之后重发这些数据；它自己的初始序列号是 ${c.seq}（相对序列号 seq=0）。`;
  if (c.syn && c.acksOtherSyn)
    return `${at}${W}回复 SYN+ACK（第二次握手）：ack=${c.ack_}，并不是${peer(c.who)}的初始序列号加 1：它确认的是${peer(c.who)}这次并没有发出的 SYN；它自己的初始序列号是 ${c.seq}（相对序列号 seq=0）。`;
  if (c.syn) {
    const step = c.of === 4 ? `同时打开的第${ORDINAL[c.step] ?? c.step}步` : '第二次握手';
    return `${at}${W}回复 SYN+ACK（${step}）：ack=${c.ack_}，即${peer(c.who)}的初始序列号加 1（相对确认号 ack=1），表示已收到对方的 SYN；它自己的初始序列号是 ${c.seq}（相对序列号 seq=0）。`;
  }
  if (c.fin) {
    const step = c.crossingFin
      ? '（同时关闭：双方的 FIN 交错而过）'
      : c.step > 0
        ? c.of === 4
          ? `（第${ORDINAL[c.step]}次挥手）`
          : `（三个报文段挥手中的第${ORDINAL[c.step]}个）`
        : '';
    const merged =
      c.of === 3 && c.step === 2 && !c.crossingFin
        ? `它在同一个报文段里既确认了${peer(c.who)}的 FIN，又关闭了自己这一方向，所以四次挥手只用了三个报文段。`
        : c.len > 0
          ? '最后的数据和 FIN 放在同一个报文段里；FIN 占用数据之后的那个序列号。'
          : '表示它已没有数据要发送；FIN 即使不携带数据，也要消耗一个序列号。';
    return `${at}${W}发出 ${c.flags}${step}，${nums}${data}。${merged}`;
  }
  if (c.roleKind === 'handshake')
    return `${at}${W}用 ACK 确认${peer(c.who)}的 SYN（第三次握手），ack=${c.ack_}，即${peer(c.who)}的初始序列号加 1（相对确认号 ack=${c.relAck}）${data}。`;
  if (c.roleKind === 'teardown')
    return `${at}${W}确认${peer(c.who)}的 FIN，ack=${c.relAck}${c.of === 0 ? '' : `（${c.of === 4 ? `第${ORDINAL[c.step]}次挥手` : `三个报文段挥手中的第${ORDINAL[c.step]}个`}）`}${data}。`;
  if (c.len > 0)
    return `${at}${W}发送 ${c.len} 字节数据（seq=${c.relSeq} 至 ${c.relSeq + c.len - 1}${c.ack ? `，ack=${c.relAck}` : ''}）。`;
  return `${at}${W}发出 ${c.flags}，${nums}，不带数据。`;
}

/** explain-en.ts lostHow in Chinese. */
const lostHow = (c: LostCtx) =>
  c.dropped
    ? `它到达了${peer(c.who)}的主机（抓包点就在它旁边），却在到达时被丢弃了`
    : `它在到达${peer(c.who)}之前丢失了`;

/** explain-en.ts synOptionsText in Chinese. */
function synOptionsText(c: SegmentCtx): string {
  const o = c.options;
  if (!o) return '';
  const out: string[] = [];
  const list: string[] = [];
  if (o.mss !== undefined) list.push(`MSS ${o.mss}（${who(c.who)}在一个报文段中最多接收的数据字节数）`);
  if (o.wscale !== undefined)
    list.push(
      `窗口扩大因子 ${o.wscale}（双方都同意后，它的窗口字段以 ${2 ** Math.min(o.wscale, 14)} 字节为单位；SYN 自身的窗口从不扩大）`,
    );
  if (o.sackPermitted) list.push('允许 SACK');
  if (o.timestamps) list.push('时间戳');
  if (list.length > 0) out.push(`它的选项：${list.join('，')}。`);
  if (o.mss === undefined)
    out.push(`它不带 MSS 选项，所以${peer(c.who)}只能假定 536 字节（IPv6 为 1220；RFC 9293 §3.7.1）。`);
  const po = c.peerOptions;
  if (c.ack && po) {
    const both: string[] = [];
    const peerOnly: string[] = [];
    const pairs: [boolean, boolean, string][] = [
      [o.wscale !== undefined, po.wscale !== undefined, '窗口扩大'],
      [o.sackPermitted === true, po.sackPermitted === true, 'SACK'],
      [o.timestamps === true, po.timestamps === true, '时间戳'],
    ];
    for (const [mine, theirs, name] of pairs) {
      if (mine && theirs) both.push(name);
      else if (theirs) peerOnly.push(name);
    }
    if (both.length > 0) out.push(`双方的 SYN 都提供了${both.join('、')}，所以连接使用它们。`);
    if (peerOnly.length > 0)
      out.push(
        `${peer(c.who)}提供了${peerOnly.join('、')}，${who(c.who)}没有，所以连接不使用（选项只有双方的 SYN 都带时才生效）。`,
      );
    if (o.mss !== undefined && po.mss !== undefined)
      out.push('此后每一方发送的报文段都不超过对方通告的 MSS。');
  }
  if (!c.ack && o.fastOpen === 'request')
    out.push(
      `${who(c.who)}还请求一个 Fast Open Cookie（空的 TFO 选项，RFC 7413 §4.1.1）${c.len === 0 ? `：它还没有${peer(c.who)}的 Cookie，所以这个 SYN 不带数据` : ''}。`,
    );
  if (!c.ack && o.fastOpen === 'cookie')
    out.push(
      `它带回了${peer(c.who)}在先前连接中给它的 Fast Open Cookie（TFO 选项），${peer(c.who)}凭它可以立即收下 SYN 中的数据（RFC 7413 §4.2）。`,
    );
  if (c.ack && o.fastOpen === 'cookie')
    out.push(
      po?.fastOpen === 'cookie'
        ? `它给了${peer(c.who)}一个新的 Fast Open Cookie：SYN 中的那个无效（RFC 7413 §4.1.2）。`
        : `它给了${peer(c.who)}一个 Fast Open Cookie（TFO 选项）：${peer(c.who)}把它存起来，下次连接${who(c.who)}时 SYN 就可以携带数据，${who(c.who)}会立即收下。`,
    );
  if (c.ack && o.fastOpen === undefined && po?.fastOpen === 'request')
    out.push(`${peer(c.who)}请求了 Fast Open Cookie，它却没有给：${who(c.who)}不提供 Fast Open。`);
  return out.join('');
}

function segment(c: SegmentCtx): string {
  return segmentOnly(c) + synOptionsText(c);
}

const SOCKET: Record<SocketCall, (w: string) => string> = {
  connect: (w) => `${w}的应用程序调用了 connect()。`,
  'connect-returns': (w) => `此时${w}应用程序中的 connect() 返回：对它来说握手已经完成。`,
  'connect-fails': (w) => `${w}的 connect() 在这里失败（ECONNREFUSED）。`,
  'accept-returns': (w) =>
    `这个连接离开${w}的半连接队列（SYN 队列），进入全连接队列（accept 队列）；Linux 用 listen() 的 backlog（且不超过 net.core.somaxconn）限制这两个队列：accept() 现在可以返回它了。`,
  close: (w) => `${w}的应用程序调用了 close()（或 shutdown(SHUT_WR)）。`,
  'close-second': (w) => `${w}的应用程序随后也调用了 close()。`,
  abort: (w) =>
    `${w}的应用程序设置了 SO_LINGER 为 0 后调用 close()（或者接收缓冲区里还有未读数据就关闭），内核因此发出 RST 而不是 FIN，也不经过 TIME_WAIT。`,
};

const findings: Phrasebook['findings'] = {
  isn: (c: FindingCtx) =>
    `为什么初始序列号（${c.isn?.orig ?? 0} 和 ${c.isn?.resp ?? 0}）看起来是随机的：双方都用时钟加上对四元组的带密钥哈希来选择初始序列号（RFC 9293 §3.4.1，RFC 6528），这样同一对端口上旧连接的报文段落不进新连接的序列号空间，不在路径上的攻击者也猜不出序列号来注入数据或 RST。`,
  'syn-retries': (c) =>
    `${who(c.who)}共发出 ${c.count} 次 SYN，间隔依次为 ${c.gaps?.join('、')}${c.doubling ? '：重传计时器每次翻倍（指数退避）' : ''}。Linux 按 net.ipv4.tcp_syn_retries 重试 SYN（默认 6 次：分别在 1、2、4、8、16、32 秒后），最后再等 64 秒，所以 connect() 大约在第一个 SYN 之后 127 秒以 ETIMEDOUT 失败。`,
  'synack-retries': (c) =>
    `${who(c.who)}共发出 ${c.count} 次 SYN+ACK（间隔 ${c.gaps?.join('、')}）。Linux 按 net.ipv4.tcp_synack_retries 重试 SYN+ACK（默认 5 次：分别在 1、2、4、8、16 秒后），之后把这个半连接从半连接队列中删除，大约是第一次之后 63 秒。`,
  'syn-flood-source': (c) => {
    const f = c.flood!;
    const flood = `另有 ${f.silent} 个源地址向 ${f.listener} 发来 SYN，同样从不回应：这是 SYN 洪泛（SYN Flood）攻击，源地址几乎可以肯定是伪造的。`;
    if (f.dropped)
      return `服务端从未回应这个 SYN：它到达时，${f.listener} 已有 ${f.halfOpen} 个来自从不回应的源地址的半连接，半连接队列（SYN 队列，上限是 listen() 的 backlog，且不超过 net.core.somaxconn）已满；net.ipv4.tcp_syncookies=0 时，Linux 会丢弃新到的 SYN，直到队列腾出空位。${flood}`;
    if (f.cookie)
      return `服务端只回应了这个 SYN 一次，虽然一直没有收到 ACK，却再也没有重传 SYN+ACK：SYN 到达时 ${f.listener} 的半连接队列已满（${f.halfOpen} 个半连接），所以 Linux 用 SYN Cookie 回应（net.ipv4.tcp_syncookies）：连接信息编码在 SYN+ACK 的序列号里，服务端不为它保留 SYN_RECEIVED 套接字——既没有要重传的东西，洪泛也填不满任何队列（RFC 4987 §3.6）。${flood}`;
    return `客户端从未回应：服务端发出 SYN+ACK ${f.synAcks === 1 ? '一次' : `${f.synAcks} 次`}，而处于 SYN_SENT 的 TCP 收到 SYN+ACK 会立即回应（RFC 9293 §3.10.7.3），所以这个源地址是伪造的或不可达。${flood}每个这样的 SYN 都会在服务端的半连接队列里占用一个半连接（SYN_RECEIVED，netstat 显示为 SYN_RECV），直到 net.ipv4.tcp_synack_retries 用完（默认重试 5 次，约 63 秒）；队列一满，真实客户端的 SYN 就会被丢弃——除非开启了 net.ipv4.tcp_syncookies（Linux 默认为 1），此时改用 SYN Cookie 回应。`;
  },
  'syn-queue-full': (c) => {
    const f = c.flood!;
    const then =
      f.stillFull !== undefined
        ? `重传的 SYN ${c.after ? `在 ${c.after} 后` : ''}得到了回应，而此时队列依然是满的（${f.stillFull} 个半连接）：这个 SYN+ACK 是 SYN Cookie——那时已开启 net.ipv4.tcp_syncookies。它的初始序列号编码了连接信息，服务端没有为它保留任何状态，直到客户端的 ACK 把 Cookie 带回来，才直接以 ESTABLISHED 状态创建连接（RFC 4987 §3.6）。`
        : `重传的 SYN ${c.after ? `在 ${c.after} 后` : ''}得到了回应，那时队列已有空位。`;
    return `第一个 SYN 并不是在途中丢失的：它到达服务端时，${f.listener} 的半连接队列里已有 ${f.halfOpen} 个半连接，来自 ${f.silent} 个从不回应 SYN+ACK 的源地址——这是 SYN 洪泛。半连接队列满了（上限是 listen() 的 backlog，且不超过 net.core.somaxconn），除非开启 net.ipv4.tcp_syncookies，Linux 会丢弃新的 SYN；客户端的 SYN 重传计时器（1 秒，之后翻倍）于是再发了一次。${then}`;
  },
  'syn-lost': (c) => {
    const answered = `${peer(c.who)}只回应了重传的那个 SYN${c.after ? `（在它之后 ${c.after}）` : ''}，从未回应${c.count === 1 ? '第一个' : `前 ${c.count} 个`}`;
    const why =
      '可能是防火墙，也可能是监听套接字——全连接队列满时，即使开启了 syncookies，Linux 也会丢弃 SYN；半连接队列满且 tcp_syncookies 为 0 时同样如此';
    if (c.tapAt === 'receiver')
      return `第一个 SYN 在到达时被丢弃了：${answered}，而这个在${peer(c.who)}旁边抓的包显示它到达了${peer(c.who)}的主机。${c.toListener ? `丢弃它的${why}。` : ''}`;
    return `第一个 SYN 丢失了：${answered}。${c.toListener && c.tapAt === undefined ? `（如果这个抓包是在${peer(c.who)}旁边抓的，说明 SYN 到达了它的主机，是在那里被丢弃的：${why}。）` : ''}`;
  },
  'handshake-ack-lost': (c) =>
    c.ackUnseen
      ? '客户端的第一个数据报文段完成了服务端的握手：它带着第三次握手本该带的确认号（SYN 之后的每个报文段都带 ACK），所以什么都不用重传。抓包中没有单独的第三个报文段：它在抓包点之前丢失了，或者根本没有发。'
      : c.count === 1
        ? '第三次握手的 ACK 丢失了，却什么都不用重传：客户端的第一个数据报文段带着同样的确认号（SYN 之后的每个报文段都带 ACK），它完成了服务端的握手——服务端收到这个数据报文段时从 SYN_RECEIVED 进入 ESTABLISHED。'
        : c.tapAt === 'receiver'
          ? '第三次握手的 ACK 在到达时被丢弃了：这个在服务端旁边抓的包显示它到达了服务端主机，服务端却像没收到一样重传 SYN+ACK。丢弃它的可能是防火墙，也可能是监听套接字自己——全连接队列已满且 net.ipv4.tcp_abort_on_overflow 为 0 时，Linux 会丢弃它。客户端收到 SYN+ACK 后已是 ESTABLISHED，但没有数据要发，于是服务端不断重传 SYN+ACK，直到客户端再次确认；在此之前，服务端的半连接队列里一直留着这个半连接。'
          : `第三次握手的 ACK 丢失了：客户端收到 SYN+ACK 后已是 ESTABLISHED，但没有数据要发，于是服务端不断重传 SYN+ACK，直到客户端再次确认。在此之前，服务端的半连接队列里一直留着这个半连接。${c.tapAt === undefined ? '（如果这个抓包是在服务端旁边抓的，说明 ACK 确实到达了服务端主机，是在那里被丢弃的：可能是防火墙，也可能是监听套接字自己——全连接队列已满且 net.ipv4.tcp_abort_on_overflow 为 0 时，Linux 会丢弃它。）' : ''}`,
  'old-duplicate-syn': (c) =>
    `旧的重复 SYN（RFC 9293 §3.5 图 8）：这个连接早先一次化身的 SYN 先到达了服务端。服务端用确认那个旧初始序列号的 SYN+ACK 回应；处于 SYN_SENT 的${who(c.who)}发现对方确认的是自己从未发出的 SYN，便回复 RST，服务端于是丢弃这个半连接，回到 LISTEN。这正是 TCP 需要三次握手的原因：如果只有两次握手，服务端凭这个旧 SYN 就会建立连接；第三个报文段让客户端确认服务端的 SYN+ACK 回应的正是自己当前的 SYN。`,
  'simultaneous-open': () =>
    '同时打开（RFC 9293 §3.5 图 7）：双方都在收到对方的 SYN 之前发出了自己的 SYN，于是各自用 SYN+ACK 应答，都经历 SYN_SENT → SYN_RECEIVED → ESTABLISHED。共四个报文段，双方都没有 LISTEN。',
  refused: () =>
    '连接被拒绝：服务端的端口上没有程序在监听，内核用 RST+ACK 回应 SYN；connect() 以 ECONNREFUSED 失败，双方都不保留任何状态。',
  'closed-first': (c) =>
    `${who(c.who)}率先关闭（主动关闭）：它经历 FIN_WAIT_1、FIN_WAIT_2 和 TIME_WAIT，而${peer(c.who)}经历 CLOSE_WAIT 和 LAST_ACK。`,
  'simultaneous-close': () =>
    '同时关闭（RFC 9293 §3.6 图 13）：双方都在收到对方的 FIN 之前发出了自己的 FIN。没有谁先关闭；双方都经历 FIN_WAIT_1 → CLOSING → TIME_WAIT，两端都要等待 TIME_WAIT。',
  'fin-with-data': (c) =>
    `${who(c.who)}的 FIN 搭在最后一个数据报文段上（带数据的 FIN+PSH+ACK）：最后一次写之后紧接着 close()，一个报文段既送出数据又结束${who(c.who)}这一方向；FIN 的序列号紧跟在最后一个字节之后。`,
  'time-wait': (c) =>
    `${who(c.who)}为什么要等待 TIME_WAIT：其一，如果最后一个 ACK 丢失，${peer(c.who)}会重传 FIN，${who(c.who)}必须还在，才能再次确认（否则只能回复 RST）；其二，让这个连接仍在网络中滞留的旧报文段全部消失，之后同一个四元组才能再次使用。RFC 793 规定报文段最大生存时间（MSL）为 2 分钟，所以 TIME_WAIT 为 2MSL = 4 分钟；Linux 固定为 60 秒（TCP_TIMEWAIT_LEN），这里是 ${c.timeWait}。${
      c.timeWaitSeen === 'beyond-capture'
        ? `抓包看不到这段等待：处于 TIME_WAIT 的套接字除非再次收到 FIN，否则什么也不发，任何报文段也不携带自己的“年龄”（MSL 从不出现在线路上）。这个抓包在等待结束之前就停止了，所以这里的 ${c.timeWait} 是 synack 假定的时长（Linux 的常数；其他主机用 --time-wait 指定），不是测量出来的。`
        : c.timeWaitSeen === 'assumed-expired'
          ? `抓包同样看不到等待的结束：套接字离开 TIME_WAIT 时不发送任何报文，任何报文段也不携带自己的“年龄”（MSL 从不出现在线路上）；synack 是在抓包时间过了假定的 ${c.timeWait}（--time-wait）之后把它记为 CLOSED 的，并不是根据某个报文段。`
          : ''
    }`,
  'time-wait-ended': (c) => {
    const e = c.end;
    if (!e) return '';
    if (e.reusedAfter === undefined) return `${who(e.who)}的 TIME_WAIT（${c.timeWait}）在抓包期间到期。`;
    const used = `连接 ${e.nextConn} 再次使用了同一对端口，距${who(e.who)}进入 TIME_WAIT ${e.reusedAfter}`;
    if (e.expired) return `${used}：此时${who(e.who)}的 TIME_WAIT（${c.timeWait}）已经到期。`;
    if (!e.ownPort)
      return `${used}，早于 ${c.timeWait}到期：处于 TIME_WAIT 的服务端会接受序列号（或时间戳）比旧连接更大的新 SYN（RFC 6191），提前结束 TIME_WAIT。`;
    return e.twReusePossible
      ? `${used}，短于假定的 ${c.timeWait}：这台主机的 TIME_WAIT 最多只有 ${e.reusedAfter}，或者 Linux 的 net.ipv4.tcp_tw_reuse 让新的 connect() 接管了这个 TIME_WAIT 套接字（需要 TCP 时间戳，且距上一个报文段至少 1 秒）。用 --time-wait 指明是哪一种。`
      : `${used}：这台主机的 TIME_WAIT 最多只有 ${e.reusedAfter}，而不是 ${c.timeWait}（tcp_tw_reuse 要求距上一个报文段至少 1 秒，所以不是它）。`;
  },
  abort: (c) =>
    `${who(c.who)}用 RST 而不是 FIN 结束连接：这是异常关闭。应用程序在 close() 之前设置 SO_LINGER {on, 0} 就会这样；接收缓冲区里还有未读数据时调用 close()，Linux 也会这样做。没有 TIME_WAIT，${peer(c.who)}下一次读会得到 ECONNRESET。`,
  'fast-open': (c) =>
    c.cookie === 'given'
      ? `这个连接是 TCP Fast Open（RFC 7413）的前半段：${who(c.who)}的 SYN 带一个空的 Fast Open 选项，即请求 Cookie（tcpdump 显示为 "tfo cookiereq"），不带数据，因为它还没有${peer(c.who)}的 Cookie；${peer(c.who)}在 SYN+ACK 中给了它一个（tcpdump 显示为 "tfo cookie …"），这是${peer(c.who)}用自己的密钥对${who(c.who)}地址算出的 MAC。其余就是经典的三次握手，数据要等握手完成。${who(c.who)}下次连接${peer(c.who)}时，把 Cookie 和最初的数据放进 SYN；${peer(c.who)}校验 Cookie 后立即收下数据，还可以在握手完成之前应答：省下一个往返。Linux：net.ipv4.tcp_fastopen（1 客户端，2 服务端，3 两者），监听套接字上 setsockopt(TCP_FASTOPEN)，客户端用 sendto(MSG_FASTOPEN) 或 TCP_FASTOPEN_CONNECT；\`ip tcp_metrics show\` 列出客户端保存的 Cookie。`
      : c.cookie === 'none'
        ? `${who(c.who)}请求了 TCP Fast Open Cookie（SYN 中一个空的 Fast Open 选项，RFC 7413 §4.1.1），但${peer(c.who)}的 SYN+ACK 没有带：${peer(c.who)}不支持 Fast Open（Linux：net.ipv4.tcp_fastopen 没有服务端位 2，或监听套接字没有设置 TCP_FASTOPEN），所以${who(c.who)}发给它的 SYN 仍不带数据，握手仍是经典的三次握手。`
        : c.taken
          ? `SYN 报文可以携带数据（RFC 9293 §3.4）：这里${who(c.who)}的 SYN 携带了 ${c.count ?? 0} 字节数据，${peer(c.who)}在 SYN+ACK 中确认了它们，并立即交给了自己的应用程序——这就是 TCP Fast Open（RFC 7413），省去了请求通常要等待的一个往返${c.early ? `；${peer(c.who)}甚至在${who(c.who)}确认 SYN+ACK 的 ACK 到达之前就作出了应答` : ''}。服务端只有在 Fast Open Cookie 有效时才会收下 SYN 中的数据：${who(c.who)}在先前的一个连接中拿到了这个 Cookie——那个连接的 SYN 带一个空的 Fast Open 选项（请求 Cookie），SYN+ACK 带回 Cookie（tcpdump 显示为 "tfo cookiereq" 和 "tfo cookie …"）。没有 Cookie 时，SYN 中的数据不会被确认，要在握手之后重发。所以"SYN 报文不能携带数据"只是经典三次握手的做法，并不是 TCP 的规定。Linux 上：net.ipv4.tcp_fastopen（1 客户端，2 服务端，3 两者），监听套接字上 setsockopt(TCP_FASTOPEN)，客户端用 sendto(MSG_FASTOPEN) 或 TCP_FASTOPEN_CONNECT。`
          : `${who(c.who)}的 SYN 携带了 ${c.count ?? 0} 字节数据（RFC 9293 §3.4 允许这样做），但${peer(c.who)}只确认了 SYN：没有有效的 TCP Fast Open Cookie（RFC 7413）时，服务端不收 SYN 中的数据，于是${who(c.who)}在握手之后重发。Fast Open 客户端还没有 Cookie 时的第一个连接，或服务端关闭了 Fast Open 时，就是这样（Linux：net.ipv4.tcp_fastopen，setsockopt TCP_FASTOPEN）。`,
  'accept-overflow': (c) =>
    `${who(c.who)}为什么要重置一个它已经应答过的握手：监听套接字有两个队列——半连接队列（SYN 队列，存放 SYN_RECEIVED 的连接）和全连接队列（accept 队列，存放已完成握手、等待 accept() 取走的连接），上限都是 listen() 的 backlog（且不超过 net.core.somaxconn）。握手的 ACK 到达时如果全连接队列已满（应用程序 accept() 得不够快），Linux 默认（net.ipv4.tcp_abort_on_overflow=0）丢弃这个 ACK，保留半连接，稍后重传 SYN+ACK，等队列腾出空位；设为 1 时则立即用 RST 回应这个 ACK，就像这里。（在 SYN+ACK 与 ACK 之间关闭了监听套接字，也会这样回应。）\`ss -lnt\` 中 Recv-Q 是全连接队列的当前长度，Send-Q 是它的上限；\`nstat\` 中的 ListenOverflows 统计溢出次数。`,
  'forged-rst': (c) =>
    `一个伪造的 RST 杀死了连接：它的序列号恰好是${who(c.victim ?? 'orig')}期望的值（RCV.NXT），RFC 5961 §3 会接受它，尽管${who(c.who)}从未发出过它。${who(c.who)}仍以为连接开着；它的下一个报文段到达已经没有这个连接的${who(c.victim ?? 'orig')}时，换来了一个 RST。`,
  'keepalive-give-up': (c) =>
    `${who(c.who)}的保活机制发现${peer(c.who)}已经不在：空闲 net.ipv4.tcp_keepalive_time 之后，每隔 tcp_keepalive_intvl 探测一次，连续 tcp_keepalive_probes 次没有应答就用 RST 拆除连接。`,
};

const notes: Phrasebook['notes'] = {
  'answers-dup-syn': (c) =>
    `它是在${peer(c.who)}重传的 SYN（第 ${c.frame} 帧）之后 ${c.after} 发出的：处于 SYN_RECEIVED 时再次收到 SYN，就再回复一次 SYN+ACK。这是对重复 SYN 的应答，不是计时器超时重传。`,
  'handshake-ack-piggybacked': (c) =>
    `${who(otherSideOf(c.who))}没有单独发送确认 SYN+ACK 的 ACK（这个在它旁边抓的包会显示出来）：这个数据报文段本身带着确认号——有数据等着发送时（握手结束前就写入的请求，TCP Fast Open 的第一个连接），Linux 就这样发——它完成了${who(c.who)}的握手：${who(c.who)}收到它时从 SYN_RECEIVED 进入 ESTABLISHED。`,
  'handshake-ack-unseen': (c) =>
    `抓包中没有单独确认 SYN+ACK 的 ACK：这个数据报文段带着确认号，完成了${who(c.who)}的握手（收到它时从 SYN_RECEIVED 进入 ESTABLISHED）。${who(otherSideOf(c.who))}要么发过一个纯 ACK 但在抓包点之前丢失了，要么根本没有单独发——有数据等着发送时 Linux 把 ACK 放在数据上（TCP Fast Open 的第一个连接）；这个抓包分辨不出是哪一种。`,
  'data-completes-handshake': (c) =>
    `这个数据报文段带着丢失的第三次握手所带的确认号，因此完成了${who(c.who)}的握手：${who(c.who)}收到它时从 SYN_RECEIVED 进入 ESTABLISHED。`,
  'handshake-ack-lost': (c) =>
    `第三次握手的 ACK 丢失了：${peer(c.who)}已经认为连接处于 ESTABLISHED 状态，而${who(c.who)}仍停留在 SYN_RECEIVED——这是一个半连接。`,
  'challenge-ack': (c) =>
    `这是挑战 ACK（RFC 5961 §3），不是因为缺少报文段而发的重复 ACK：RST 落在${who(c.who)}的窗口内，却不正好是期望的序列号，所以${who(c.who)}不关闭连接，而是回复当前的 ACK；只有真正的对端看到它后，才会发出序列号恰好吻合的 RST。`,
  'time-wait-reack': (c) =>
    `处于 TIME_WAIT 的${who(c.who)}再次确认${peer(c.who)}重传的 FIN：它的第一个 ACK 丢失了。这正是 TIME_WAIT 存在的第一个原因。`,
  'fin-with-data': (c) => `${who(c.who)}的数据和 FIN 一起到达。`,
  'simultaneous-open-ack': (c) =>
    `${who(c.who)}早已收到${peer(c.who)}的 SYN，所以${peer(c.who)} SYN+ACK 中的 SYN 位于它的 RCV.NXT 之前：这是重复的报文，要立即确认（RFC 9293 §3.10.7.4 第一步检查）。Linux 发出这个 ACK 时带一个 D-SACK 块指明那个 SYN（RFC 2883），所以同时打开的双方都比 RFC 9293 图 7 多发一个 ACK。`,
  'synack-reack': (c) =>
    `${who(c.who)}再次确认重传的 SYN+ACK：Wireshark 把它叫作重复 ACK，其实它是对重传 SYN+ACK 的应答，说明${who(c.who)}的第一个 ACK 没有到达。`,
  'ack-refused': (c) =>
    `${who(c.who)}拒绝了这个 ACK：它的全连接队列已满，所以没有完成握手，而是丢弃这个半连接——从 SYN_RECEIVED 直接变为没有连接（CLOSED）——并用 RST 回应（net.ipv4.tcp_abort_on_overflow=1）。`,
  'fin-queued': (c) =>
    `这个报文段到达时，${who(c.who)}已经调用了 close()：它的 FIN 排在被窗口挡住的数据后面，这个报文段一打开窗口，FIN 就随那些数据立即发出。`,
  'met-no-connection': (c) =>
    `这个报文段到达时，${who(c.who)}已经没有这个连接了：它立即回的是一个不带 ACK 的 RST，序号等于这个报文段的确认号，这正是没有连接的一端发出的应答（RFC 9293 §3.10.7.1）。它早先已丢弃了连接，抓包里看不到（RST 丢失或被伪造、重启、超时）：CLOSED。`,
  'arrival-unknown': (c) =>
    `抓包还不能判断它是否到达了${peer(c.who)}：在${peer(c.who)}发出下一个报文段之前，它的状态是 UNKNOWN。`,
  'acks-old-syn': (c) =>
    `它确认的是 ${c.ack}${c.isn !== undefined ? `，而不是${peer(c.who)}的初始序列号加 1（${(c.isn + 1) >>> 0}）` : ''}：${who(c.who)}仍为先前那个 SYN（旧的重复 SYN）处于 SYN_RECEIVED，于是用一个确认自己已收到内容的 ACK 回应${peer(c.who)}的新 SYN（RFC 9293 §3.10.7.4；RFC 5961 §4 称之为挑战 ACK）。Wireshark 从${peer(c.who)}的新初始序列号算起，把它当成确认了没抓到的字节；其实什么也没缺。`,
  'acks-new-isn': (c) =>
    `它确认的是${peer(c.who)}新的初始序列号（ack=${c.ack}）。Wireshark 仍从${peer(c.who)}先前的初始序列号算起，把它当成确认了没抓到的字节；其实什么也没缺。`,
  'new-isn-not-gap': (c) =>
    `这是${who(c.who)}新的初始序列号，取代了先前那个 SYN 的 ${c.isn}：新的一次尝试从头开始编号。Wireshark 从旧的初始序列号算起，把这个跳变当成抓包里的缺口；其实什么也没缺。`,
  'port-reuse-kept': () =>
    'Wireshark 把它标为端口重用（同一四元组上出现了新的初始序列号），并从这里另起一个会话；synack 仍算作同一个连接，因为两端都还没有结束先前那次尝试（只有两端都回到 CLOSED 或 LISTEN，连接才算结束）。',
};

const HANDSHAKE: Record<string, string> = {
  complete: '三次握手顺利完成',
  simultaneous: '连接通过同时打开建立',
  refused: '连接被拒绝（SYN 得到的应答是 RST）',
  incomplete: '握手没有完成',
  unseen: '抓包开始时握手已经结束',
};
const CLOSE: Record<string, string> = {
  orig: '客户端率先关闭（主动关闭）',
  resp: '服务端率先关闭（主动关闭）',
  'orig-reset': '客户端用 RST 重置了连接',
  'resp-reset': '服务端用 RST 重置了连接',
  both: '双方同时关闭',
  none: '抓包结束时双方都还没有关闭',
};

export const ZH: Phrasebook = {
  lang: 'zh',
  joiner: '',
  intro: (c) =>
    `连接 ${c.id}：客户端 ${c.client} → 服务端 ${c.server}，共 ${c.packets} 个报文段，历时 ${c.duration}。${
      c.initial.orig === 'UNKNOWN' && c.initial.resp === 'UNKNOWN'
        ? '抓包从连接中途开始，还看不出双方处于什么状态（UNKNOWN）。'
        : `开始时客户端处于 ${c.initial.orig} 状态，服务端处于 ${c.initial.resp} 状态。`
    }`,
  segment,
  placed: (c) =>
    c.from === 'UNKNOWN'
      ? `从这个报文段起，${who(c.who)}收发的报文段只符合一种状态：${c.to}。`
      : `${who(c.who)}从 ${c.from} 进入 ${c.to} 状态。`,
  transitions,
  events,
  lost: (c) =>
    c.queueFull !== undefined
      ? `${peer(c.who)}没有理会它：半连接队列已满（${c.queueFull} 个半连接），这个 SYN 得不到回应，${peer(c.who)}的状态不变。`
      : c.answeredCopy !== undefined
        ? `${lostHow(c)}：${peer(c.who)}只回应了第 ${c.answeredCopy} 帧发出的那一份${c.after ? `（在它之后 ${c.after}）` : ''}，所以此处状态不变。`
        : c.carriedBy !== undefined
          ? `${lostHow(c)}：${peer(c.who)}的状态直到第 ${c.carriedBy} 帧才改变，那个报文段带着同样的确认号。`
          : c.resentAs !== undefined
            ? `${lostHow(c)}：${who(c.who)}不得不重发它（第 ${c.resentAs} 帧），${peer(c.who)}的状态在此处不变。`
            : c.dropped
              ? `这个报文段到达了${peer(c.who)}的主机（抓包点就在它旁边），但在到达时被丢弃了，所以${peer(c.who)}的状态不变。`
              : `这个报文段在途中丢失，没有到达${peer(c.who)}，所以${peer(c.who)}的状态不变。`,
  socket: (c) => SOCKET[c.call](who(c.who)),
  notes,
  findings,
  dataRun: (c) => {
    const parts: string[] = [];
    if (c.segments.orig > 0) parts.push(`客户端用 ${c.segments.orig} 个报文段发送了 ${c.bytes.orig} 字节`);
    if (c.segments.resp > 0) parts.push(`服务端用 ${c.segments.resp} 个报文段发送了 ${c.bytes.resp} 字节`);
    if (parts.length === 0 && (c.acksBy.orig === 0 || c.acksBy.resp === 0))
      return `[${c.time} 秒${c.duration ? `，历时 ${c.duration}` : ''}]${c.acksBy.orig > 0 ? '客户端' : '服务端'}发出 ${c.acks} 个纯 ACK。`;
    const acks = c.acks > 0 ? `${parts.length > 0 ? '，另有' : '双方交换了'} ${c.acks} 个纯 ACK` : '';
    return `[${c.time} 秒${c.duration ? `，历时 ${c.duration}` : ''}]${parts.length > 0 ? `数据传输：${parts.join('，')}` : ''}${acks}。`;
  },
  timeWaitExpired: (c) =>
    c.reusedAfter !== undefined && !c.expired
      ? `连接 ${c.nextConn} 使用了同一对端口，${who(c.who)}因此离开 TIME_WAIT（CLOSED），距它进入 TIME_WAIT ${c.reusedAfter}。`
      : `${who(c.who)}的 TIME_WAIT（${c.timeWait}）在抓包期间到期，进入 CLOSED 状态。`,
  summary: (c) => {
    const parts: string[] = [];
    if (c.handshake) parts.push(HANDSHAKE[c.handshake] + (c.rtt ? `（往返时间 ${c.rtt}）` : ''));
    if (c.close)
      parts.push(
        c.forgedReset
          ? `一个冒充${c.close === 'orig-reset' ? '客户端' : '服务端'}的伪造 RST 重置了连接`
          : CLOSE[c.close],
      );
    let s = parts.length > 0 ? `总结：${parts.join('；')}。` : '';
    s += `最终状态：客户端 ${c.final.orig}，服务端 ${c.final.resp}。`;
    for (const side of ['orig', 'resp'] as const) {
      if (c.final[side] === 'TIME_WAIT' && !c.timeWaitRanOut[side])
        s += `${who(side)}发出最后一个 ACK 后还要在 TIME_WAIT 状态停留 ${c.timeWait}，之后这对地址和端口才能重新使用。`;
      if (c.final[side] === 'CLOSE_WAIT')
        s += `${who(side)}停留在 CLOSE_WAIT：它的应用程序一直没有关闭套接字，这是典型的连接泄漏。`;
    }
    if (c.connState) s += `Zeek 会将其记为 conn_state ${c.connState}，history ${c.history}。`;
    return s;
  },
};
