#!/usr/bin/python3
"""Records test/fixtures/capture-gaps.pcap: a long real download (Linux TCP between two network
namespaces joined by a veth pair, 1.5 MB from the server, captured at the client with snaplen 80:
headers only; the client sends a short command every 100 kB, so both directions carry data) from which
a few of the server's data segments are then deleted, as when a
capture misses segments of one direction (a busy tap, a SPAN port dropping). The receiver got
them, so its ACKs go on covering bytes the capture never showed: tshark flags only the ACK that
first covers each gap "ACKed unseen segment" (tcp.analysis.ack_lost_segment) and the segment
after each gap "Previous segment not captured". Issue 17 item 5.

Run as root:  scripts/record-capture-gaps.py [OUT.pcap]
The namespaces (h17g-c, h17g-s) are always deleted.
"""

import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

OUT = sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/capture-gaps.pcap'
NS_C, NS_S = 'h17g-c', 'h17g-s'
DEV_C, DEV_S = 'h17g-vc', 'h17g-vs'
CLIENT_IP, SERVER_IP = '10.89.0.1', '10.89.0.2'
PORT = 2121
SIZE = 1_500_000
SNAPLEN = 80
# The server's data segments deleted (1-based among the server's segments with payload): one
# alone, two in a row, and one late in the transfer.
DELETE = {120, 400, 401, 830}


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def setup():
    sh('ip', 'netns', 'add', NS_C)
    sh('ip', 'netns', 'add', NS_S)
    sh('ip', 'link', 'add', DEV_C, 'netns', NS_C, 'type', 'veth', 'peer', 'name', DEV_S, 'netns', NS_S)
    for ns, dev, ip in ((NS_C, DEV_C, CLIENT_IP), (NS_S, DEV_S, SERVER_IP)):
        sh('ip', '-n', ns, 'addr', 'add', f'{ip}/24', 'dev', dev)
        sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        # One segment per packet, as on a wire.
        subprocess.run(['ip', '-n', ns, 'link', 'set', dev, 'gso_max_size', '1500', 'gro_max_size', '1500'])
        sh('ip', '-n', ns, 'link', 'set', dev, 'up')


def cleanup():
    subprocess.run(['ip', 'netns', 'del', NS_C], stderr=subprocess.DEVNULL)
    subprocess.run(['ip', 'netns', 'del', NS_S], stderr=subprocess.DEVNULL)


def in_ns(ns, code):
    return subprocess.Popen(['ip', 'netns', 'exec', ns, sys.executable, '-c', code])


def record(raw):
    dump = subprocess.Popen(
        ['ip', 'netns', 'exec', NS_C, 'tcpdump', '-i', DEV_C, '-n', '-s', str(SNAPLEN), '-U', '--immediate-mode',
         '-w', raw, f'tcp port {PORT}'],
        stderr=subprocess.PIPE, text=True)
    if 'listening' not in dump.stderr.readline():
        raise RuntimeError('tcpdump did not start')
    server = in_ns(NS_S, f'''
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{SERVER_IP}", {PORT})); s.listen(1)
c, _ = s.accept(); c.recv(100)
import threading
def drain():
    while c.recv(4096):
        pass
threading.Thread(target=drain, daemon=True).start()
c.sendall(b"x" * {SIZE}); c.shutdown(socket.SHUT_WR)
time.sleep(0.3); c.close()
''')
    time.sleep(0.3)
    client = in_ns(NS_C, f'''
import socket, time
c = socket.socket()
# A small receive buffer read in small steps: the window, not the CPU, paces the transfer.
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
c.connect(("{SERVER_IP}", {PORT}))
c.sendall(b"RETR big\\r\\n")
n = 0
sent = 0
while True:
    b = c.recv(16384)
    if not b: break
    n += len(b)
    # A command now and then (FTP's NOOP on a shared connection): the server's ACK field moves too.
    if n // 100000 > sent:
        sent += 1
        c.sendall(b"NOOP\\r\\n")
    time.sleep(0.001)
time.sleep(0.05); c.close(); assert n == {SIZE}, n
''')
    if client.wait(60) != 0 or server.wait(60) != 0:
        raise RuntimeError('transfer failed')
    time.sleep(0.3)
    dump.terminate()
    dump.wait(10)


def cut(raw, out):
    """Copies the pcap, leaving out the server's data segments numbered in DELETE."""
    with open(raw, 'rb') as fh:
        data = fh.read()
    if struct.unpack_from('<I', data)[0] != 0xA1B2C3D4:
        raise RuntimeError('expected a little-endian microsecond pcap')
    outp = [data[:24]]
    off, nth, deleted = 24, 0, 0
    while off + 16 <= len(data):
        incl = struct.unpack_from('<I', data, off + 8)[0]
        frame = data[off + 16 : off + 16 + incl]
        rec = data[off : off + 16 + incl]
        off += 16 + incl
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack_from('>H', ip, 2)[0]
        src = socket.inet_ntoa(ip[12:16])
        doff = (ip[ihl + 12] >> 4) * 4
        if src == SERVER_IP and tot - ihl - doff > 0:
            nth += 1
            if nth in DELETE:
                deleted += 1
                continue
        outp.append(rec)
    if deleted != len(DELETE):
        raise RuntimeError(f'only {nth} server data segments; deleted {deleted}')
    with open(out, 'wb') as fh:
        fh.write(b''.join(outp))
    print(f'{out}: {nth} server data segments, {deleted} deleted ({sorted(DELETE)})')


def main():
    cleanup()
    setup()
    tmp = tempfile.mkdtemp(prefix='h17-gaps-')
    raw = os.path.join(tmp, 'raw.pcap')
    try:
        record(raw)
        cut(raw, OUT)
    finally:
        cleanup()
        if os.path.exists(raw):
            os.unlink(raw)
        os.rmdir(tmp)


if __name__ == '__main__':
    main()
