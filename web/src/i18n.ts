// The page's own words in English and Chinese: tabs, filters, column heads, buttons, notices and
// the fixed labels of the ladder SVG (report/ladder-svg.ts draws them in English; the page swaps
// them when 中文 is chosen). State names, conn_state codes and event kinds stay as the CLI prints
// them: they are what people search for.

export type Lang = 'en' | 'zh';

const EN = {
  tagline: 'the life of every TCP connection',
  openCapture: 'Open capture…',
  openCaptureTitle: 'choose a pcap or pcapng file (gzip allowed); it is analysed in this browser',
  servedFiles: 'served captures',
  langGroup: 'language',
  analysing: (name: string, done: string, total: string) =>
    `Analysing ${name} in this browser: ${done} of ${total}`,
  finishing: (name: string) => `Analysing ${name}: closing the connections still open at the end…`,
  frames: (n: string) => `${n} frames`,
  connections: 'connections',
  tcpOf: (tcp: string, frames: string) => `${tcp} TCP packets of ${frames} frames`,
  analysedIn: (s: string) => `analysed in ${s}`,
  dropHere: 'Drop a capture here',
  welcome:
    "pcap or pcapng, gzip'd or not. It is analysed in this browser, by the same code as the synack command line; nothing is uploaded.",
  dropNow: 'Drop the capture to analyse it here',
  search: 'search',
  searchPlaceholder: 'search: id, address, state, conn_state, history, event, rst, fin…',
  addr: 'address or port',
  addrPlaceholder: 'address or :port',
  stateFilter: 'state either endpoint passed through',
  anyState: 'any state',
  passedThrough: (s: string) => `passed through ${s}`,
  kindFilter: 'analysis event',
  anyEvent: 'any event',
  connStateFilter: "Zeek's conn_state",
  anyConnState: 'any conn_state',
  shown: (n: string, of: string | null) => (of === null ? `${n} shown` : `${n} of ${of} shown`),
  clearFilters: 'clear filters',
  exportList: 'Export list',
  exportAs: (f: string) => `as ${f}`,
  noMatch: 'no connection matches the filters',
  noConns: 'no TCP connection in this capture',
  connsLabel: 'connections',
  tabConn: 'Connection',
  tabHosts: 'Hosts',
  tabEvents: 'Events',
  selectConn: 'Select a connection in the list.',
  drawing: 'Drawing…',
  hiddenByFilter: (id: number) =>
    `Connection ${id} is not in the filtered list, so it is not shown (as Wireshark clears the details of a packet the display filter hides).`,
  noSuchConn: (id: number, n: string) =>
    `This link names connection ${id}, which is not in this capture (it has ${n} connections).`,
  localGone: (name: string) =>
    `This link is to ${name}, a file opened from this computer: choose it again to see it (browsers do not let a page reopen a file by itself).`,
  computingHosts: 'Computing the socket tables…',
  colId: 'id',
  colClient: 'client (orig)',
  colServer: 'server (resp)',
  colStart: 'start',
  colHandshake: 'handshake',
  colClose: 'close',
  colFinalOrig: 'client final',
  colFinalResp: 'server final',
  colZeek: 'zeek',
  colHistory: 'history',
  colDuration: 'duration',
  colPackets: 'pkts',
  colBytes: 'bytes',
  colBpsAB: 'bits/s c→s',
  colBpsBA: 'bits/s s→c',
  colRetrans: 'retrans',
  colRtt: 'RTT',
  colEvents: 'events',
  sortBy: (c: string) => `sort by ${c}`,
  // Ladder
  ladder: 'ladder',
  allPackets: 'every packet',
  allPacketsTitle: 'draw every packet, no folds (synack ladder --all)',
  timeScale: 'time-proportional',
  timeScaleTitle: 'place arrows by time: pauses show as space',
  symbolic: 'x, y, u, v, w',
  symbolicTitle: 'sequence numbers as the textbooks write them (synack ladder --symbolic)',
  exportSvg: 'SVG',
  exportPng: 'PNG',
  exportPcap: 'pcap',
  exportPcapTitle: "this connection's packets, byte for byte (synack extract)",
  foldOpen: (n: string) => `open the fold: ${n} packets`,
  arrowLabel: (frame: number, dir: string, label: string, states: string) =>
    `frame ${frame}, ${dir}: ${label}; states after it ${states}`,
  clientToServer: 'client → server',
  serverToClient: 'server → client',
  client: 'client',
  server: 'server',
  story: 'What happened',
  packet: 'Packet',
  clickHint:
    'Click an arrow in the ladder (or focus the ladder and step with ↑/↓) to see that packet decoded and where it sits in the story.',
  statesAfter: 'states after it',
  noHeaders: 'Headers of this frame were not kept; the fields below come from the tracker.',
  lostMark: 'lost before its receiver',
  announceConn: (id: number, from: string, to: string, hs: string, close: string) =>
    `connection ${id}, ${from} to ${to}, handshake ${hs}, close ${close}`,
  announcePacket: (frame: number, label: string) => `frame ${frame}: ${label}`,
  // Hosts
  twTitle: 'TIME_WAIT and port exhaustion',
  noTw: 'No client was left with sockets in TIME_WAIT.',
  portExhaustion: 'PORT EXHAUSTION',
  nearExhaustion: 'NEAR EXHAUSTION',
  twTop: 'TIME_WAIT',
  twNums: (peak: number, low: number, high: number, rate: number, sus: number, tw: number) =>
    `peak ${peak} in TIME_WAIT · ports ${low}–${high} · ${rate}/s seen · ${sus}/s sustainable with ${tw} s TIME_WAIT`,
  twRest: (pairs: string, maxPeak: number, sockets: string) =>
    `${pairs} more client → server pairs left sockets in TIME_WAIT (at most ${maxPeak} each, ${sockets} in all at their peaks): none near exhaustion.`,
  synFlood: 'SYN FLOOD?',
  synFloodText: (n: number, at: string) =>
    `Up to ${n} half-open connections (SYN_RECEIVED) at once, first at +${at} s.`,
  perState: 'Sockets per state over time',
  noSockets: 'No sockets.',
  atEnd: 'at the end:',
  moreHosts: (n: number) => `${n} more hosts with fewer sockets (see synack states --timeline).`,
  chartLabel: (h: string) => `sockets of ${h} per state over time`,
  hostsComputed: (ms: number, hosts: string) => `computed in ${ms} ms over ${hosts} hosts`,
  // Events
  expert: 'Analysis events (Expert Info)',
  severity: { error: 'Error', warning: 'Warning', note: 'Note', chat: 'Chat' },
  noEvents: 'No retransmissions, resets out of window or other events.',
  kind: 'kind',
  wiresharkLabel: 'as Wireshark/synack labels it',
  eventsCol: 'events',
  connsCol: 'connections',
  showConns: 'show these connections',
  jumpTo: (conn: number, frame: number, t: string) => `connection ${conn}, frame ${frame}, +${t} s`,
  firstOf: (n: number, total: string) => `the first ${n} of ${total}`,
  resets: 'Resets',
  resetsLine: (orig: number, resp: number, both: number) =>
    `${orig} by the client, ${resp} by the server${both ? `, ${both} by both` : ''}`,
  malformed: (n: number) => `${n} malformed packets skipped`,
  zeekConnState: 'Zeek conn_state',
  handshake: 'Handshake',
  close: 'Close',
  finals: 'Final states (both endpoints)',
};

type Dict = typeof EN;

const ZH: Dict = {
  tagline: '每条 TCP 连接的一生',
  openCapture: '打开抓包文件…',
  openCaptureTitle: '选择 pcap 或 pcapng 文件（可为 gzip 压缩）；在本浏览器中分析',
  servedFiles: '服务端提供的抓包文件',
  langGroup: '语言',
  analysing: (name, done, total) => `正在本浏览器中分析 ${name}：${done} / ${total}`,
  finishing: (name) => `正在分析 ${name}：结束时仍未关闭的连接正在收尾…`,
  frames: (n) => `${n} 帧`,
  connections: '条连接',
  tcpOf: (tcp, frames) => `${frames} 帧中 ${tcp} 个 TCP 报文`,
  analysedIn: (s) => `分析用时 ${s}`,
  dropHere: '把抓包文件拖到这里',
  welcome: 'pcap 或 pcapng，压缩与否均可。文件在本浏览器中由与 synack 命令行相同的代码分析，不会上传。',
  dropNow: '松开即可在此分析该抓包文件',
  search: '搜索',
  searchPlaceholder: '搜索：编号、地址、状态、conn_state、history、事件、rst、fin…',
  addr: '地址或端口',
  addrPlaceholder: '地址或 :端口',
  stateFilter: '任一端经历过的状态',
  anyState: '任意状态',
  passedThrough: (s) => `经历过 ${s}`,
  kindFilter: '分析事件',
  anyEvent: '任意事件',
  connStateFilter: 'Zeek 的 conn_state',
  anyConnState: '任意 conn_state',
  shown: (n, of) => (of === null ? `显示 ${n} 条` : `显示 ${n} / ${of} 条`),
  clearFilters: '清除筛选',
  exportList: '导出列表',
  exportAs: (f) => `导出为 ${f}`,
  noMatch: '没有符合筛选条件的连接',
  noConns: '此抓包文件中没有 TCP 连接',
  connsLabel: '连接列表',
  tabConn: '连接',
  tabHosts: '主机',
  tabEvents: '事件',
  selectConn: '请在列表中选择一条连接。',
  drawing: '正在绘制…',
  hiddenByFilter: (id) =>
    `连接 ${id} 不在筛选后的列表中，因此不显示（与 Wireshark 显示过滤器隐藏报文时清空详情相同）。`,
  noSuchConn: (id, n) => `此链接指向连接 ${id}，但该抓包文件中没有这条连接（共 ${n} 条连接）。`,
  localGone: (name) =>
    `此链接指向从本机打开的文件 ${name}：请重新选择该文件（浏览器不允许网页自行重新打开文件）。`,
  computingHosts: '正在计算套接字表…',
  colId: '编号',
  colClient: '客户端 (orig)',
  colServer: '服务端 (resp)',
  colStart: '开始',
  colHandshake: '握手',
  colClose: '关闭',
  colFinalOrig: '客户端最终',
  colFinalResp: '服务端最终',
  colZeek: 'zeek',
  colHistory: 'history',
  colDuration: '时长',
  colPackets: '报文',
  colBytes: '字节',
  colBpsAB: '比特/秒 客→服',
  colBpsBA: '比特/秒 服→客',
  colRetrans: '重传',
  colRtt: 'RTT',
  colEvents: '事件',
  sortBy: (c) => `按${c}排序`,
  ladder: '梯形图',
  allPackets: '显示全部报文',
  allPacketsTitle: '画出每个报文，不折叠（synack ladder --all）',
  timeScale: '按时间比例',
  timeScaleTitle: '按时间放置箭头：停顿显示为空白',
  symbolic: 'x, y, u, v, w',
  symbolicTitle: '按教材的写法表示序列号（synack ladder --symbolic）',
  exportSvg: 'SVG',
  exportPng: 'PNG',
  exportPcap: 'pcap',
  exportPcapTitle: '这条连接的报文，逐字节（synack extract）',
  foldOpen: (n) => `展开折叠：${n} 个报文`,
  arrowLabel: (frame, dir, label, states) => `第 ${frame} 帧，${dir}：${label}；之后的状态 ${states}`,
  clientToServer: '客户端 → 服务端',
  serverToClient: '服务端 → 客户端',
  client: '客户端',
  server: '服务端',
  story: '连接经过',
  packet: '报文',
  clickHint:
    '点击梯形图中的箭头（或聚焦梯形图后用 ↑/↓ 逐个查看），查看该报文的解码结果及其在连接经过中的位置。',
  statesAfter: '之后的状态',
  noHeaders: '未保留该帧的首部，下面的字段来自跟踪器。',
  lostMark: '未到达接收方',
  announceConn: (id, from, to, hs, close) => `连接 ${id}，${from} 到 ${to}，握手 ${hs}，关闭 ${close}`,
  announcePacket: (frame, label) => `第 ${frame} 帧：${label}`,
  twTitle: 'TIME_WAIT 与端口耗尽',
  noTw: '没有客户端留下处于 TIME_WAIT 的套接字。',
  portExhaustion: '端口耗尽',
  nearExhaustion: '接近耗尽',
  twTop: 'TIME_WAIT',
  twNums: (peak, low, high, rate, sus, tw) =>
    `TIME_WAIT 峰值 ${peak} · 端口 ${low}–${high} · 实际每秒 ${rate} 个 · TIME_WAIT 为 ${tw} 秒时每秒最多 ${sus} 个`,
  twRest: (pairs, maxPeak, sockets) =>
    `另有 ${pairs} 对客户端 → 服务端留下了 TIME_WAIT 套接字（每对最多 ${maxPeak} 个，峰值合计 ${sockets} 个）：都远未耗尽。`,
  synFlood: 'SYN 洪泛？',
  synFloodText: (n, at) => `最多同时有 ${n} 个半开连接（SYN_RECEIVED），首次出现在 +${at} 秒。`,
  perState: '各状态的套接字数随时间的变化',
  noSockets: '没有套接字。',
  atEnd: '结束时：',
  moreHosts: (n) => `另有 ${n} 台主机的套接字较少（见 synack states --timeline）。`,
  chartLabel: (h) => `${h} 各状态的套接字数随时间的变化`,
  hostsComputed: (ms, hosts) => `在 ${hosts} 台主机上计算，用时 ${ms} 毫秒`,
  expert: '分析事件（专家信息）',
  severity: { error: '错误', warning: '警告', note: '注意', chat: '对话' },
  noEvents: '没有重传、窗口外的复位或其他事件。',
  kind: '类型',
  wiresharkLabel: 'Wireshark/synack 的标注',
  eventsCol: '事件数',
  connsCol: '连接数',
  showConns: '显示这些连接',
  jumpTo: (conn, frame, t) => `连接 ${conn}，第 ${frame} 帧，+${t} 秒`,
  firstOf: (n, total) => `前 ${n} 个，共 ${total} 个`,
  resets: '复位 (RST)',
  resetsLine: (orig, resp, both) => `客户端 ${orig} 次，服务端 ${resp} 次${both ? `，双方 ${both} 次` : ''}`,
  malformed: (n) => `跳过 ${n} 个格式错误的报文`,
  zeekConnState: 'Zeek conn_state',
  handshake: '握手',
  close: '关闭',
  finals: '最终状态（两端）',
};

export const T: Record<Lang, Dict> = { en: EN, zh: ZH };

/** The ladder SVG's fixed English labels, as the Chinese page shows them. */
const LADDER_ZH: [RegExp, string][] = [
  [/^client$/, '客户端'],
  [/^server$/, '服务端'],
  [/^time \(s\)$/, '时间（秒）'],
  [/^final: client $/, '最终：客户端 '],
  [/^, server $/, '，服务端 '],
  // Socket calls beside the arrows ("client: connect() returns").
  [/^client: /, '客户端：'],
  [/^server: /, '服务端：'],
  [/\(\) returns\b/, '() 返回'],
  [/^#n: frame number$/, '#n：帧号'],
  [
    /^TIME_WAIT over: client CLOSED \(timer, or reused by a new SYN\)$/,
    'TIME_WAIT 结束：客户端 CLOSED（计时器到期，或被新的 SYN 复用）',
  ],
  [
    /^TIME_WAIT over: server CLOSED \(timer, or reused by a new SYN\)$/,
    'TIME_WAIT 结束：服务端 CLOSED（计时器到期，或被新的 SYN 复用）',
  ],
  [/✗ lost before its receiver/, '✗ 未到达接收方'],
  [/dashed: unanswered, sent again before it was acknowledged/, '虚线：未获应答，在被确认前再次发送'],
];

/** A fold's summary ("… 99 data segments, 142 kB, 50 ACKs, 1 retransmission, 3.23 ms …"). */
const FOLD_ZH: [RegExp, string][] = [
  [/(\S+) data segments?/g, '$1 个数据段'],
  [/(\S+) ACKs?\b/g, '$1 个 ACK'],
  [/(\S+) retransmissions?/g, '$1 次重传'],
];

/** Rewrites the ladder's text nodes in Chinese (and back: the English text is kept aside). */
export function translateLadder(svg: Element, lang: Lang): void {
  const walker = svg.ownerDocument.createTreeWalker(svg, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  for (const node of nodes) {
    const holder = node as Text & { synackEn?: string };
    if (holder.synackEn === undefined) holder.synackEn = node.data;
    let s = holder.synackEn;
    if (lang === 'zh') {
      for (const [re, to] of LADDER_ZH) s = s.replace(re, to);
      if (s.startsWith('…')) for (const [re, to] of FOLD_ZH) s = s.replace(re, to);
    }
    if (node.data !== s) node.data = s;
  }
}
