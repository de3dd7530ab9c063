#!/usr/bin/env python3
"""Records real Linux TCP for the Wireshark-analysis regression fixtures (test/fixtures/ws-*.pcap):
zero window (a receiver that stops reading), keep-alives (TCP_KEEPIDLE=1), and loss/reordering
(a seeded user-space link that drops or reorders chosen packets) between two network namespaces
joined by TUN devices. Captures at the client side with
a short snaplen so each file stays small. Run as root from the repository root:
    python3 scripts/record-wireshark-fixtures.py test/fixtures
Only the namespaces this script creates are touched; they are deleted at the end."""
import ctypes, os, socket, subprocess, sys, threading, time

OUT = sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures'
NS_C, NS_S = 'wsfx_client', 'wsfx_server'
C_IP, S_IP = '10.77.0.1', '10.77.0.2'


def sh(*args, check=True):
    return subprocess.run(args, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


class Link:
    """The wire between the namespaces: a TUN device in each, joined by this process, which
    drops, delays and reorders chosen IP packets (the kernel here has no netem/nftables)."""

    def __init__(self):
        self.fds = {}
        self.rule = None                   # (direction, index) -> 'drop' | 'hold' | None
        self.count = {0: 0, 1: 0}
        self.held = {0: None, 1: None}
        self.stop = False

    def open(self, ns, dev):
        import fcntl, struct
        box = {}

        def opener():
            in_ns(ns)
            fd = os.open('/dev/net/tun', os.O_RDWR)
            fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', dev.encode(), IFF_TUN | IFF_NO_PI))
            box['fd'] = fd
        t = threading.Thread(target=opener)
        t.start()
        t.join()
        return box['fd']

    def run(self):
        import select
        a, b = self.fds[0], self.fds[1]
        while not self.stop:
            ready, _, _ = select.select([a, b], [], [], 0.05)
            for fd in ready:
                direction = 0 if fd == a else 1
                pkt = os.read(fd, 65536)
                n = self.count[direction]
                self.count[direction] = n + 1
                verdict = self.rule(direction, n, pkt) if self.rule else None
                out = b if direction == 0 else a
                if verdict == 'drop':
                    continue
                if verdict == 'hold' and self.held[direction] is None:
                    self.held[direction] = pkt       # sent after the next packet: reordering
                    continue
                os.write(out, pkt)
                if self.held[direction] is not None:
                    os.write(out, self.held[direction])
                    self.held[direction] = None


LINK = Link()


def setup():
    teardown()
    sh('ip', 'netns', 'add', NS_C)
    sh('ip', 'netns', 'add', NS_S)
    LINK.fds[0] = LINK.open(NS_C, 'wsfx0')      # direction 0: client -> server
    LINK.fds[1] = LINK.open(NS_S, 'wsfx1')
    for ns, dev, me, peer in ((NS_C, 'wsfx0', C_IP, S_IP), (NS_S, 'wsfx1', S_IP, C_IP)):
        sh('ip', '-n', ns, 'addr', 'add', me, 'peer', peer, 'dev', dev)
        sh('ip', '-n', ns, 'link', 'set', dev, 'mtu', '1500', 'up')
        sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
    threading.Thread(target=LINK.run, daemon=True).start()


def teardown():
    sh('ip', 'netns', 'del', NS_C, check=False)
    sh('ip', 'netns', 'del', NS_S, check=False)


def in_ns(name):
    """Enter a network namespace for the calling thread's sockets (setns)."""
    fd = os.open(f'/var/run/netns/{name}', os.O_RDONLY)
    if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), 'setns failed')
    os.close(fd)


def capture(path, port):
    p = subprocess.Popen(['ip', 'netns', 'exec', NS_C, 'tcpdump', '-i', 'wsfx0', '-U', '-s', '80', '-w', path,
                          f'tcp port {port}'], stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return p


def stop(p):
    time.sleep(0.5)
    p.terminate()
    p.wait()


def run_pair(port, server_fn, client_fn):
    ready = threading.Event()

    def server():
        in_ns(NS_S)
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server_fn.setup(srv) if hasattr(server_fn, 'setup') else None
        srv.bind((S_IP, port))
        srv.listen(4)
        ready.set()
        conn, _ = srv.accept()
        server_fn(conn)
        conn.close()
        srv.close()

    t = threading.Thread(target=server)
    t.start()
    ready.wait()
    done = threading.Event()

    def client():
        in_ns(NS_C)
        c = socket.socket()
        client_fn(c)
        c.close()
        done.set()

    ct = threading.Thread(target=client)
    ct.start()
    ct.join()
    t.join()


def zero_window(path):
    port = 9101
    cap = capture(path, port)

    def srv(conn):
        time.sleep(2.5)                      # not reading: the window closes, the client probes
        got = 0
        while got < 200_000:
            b = conn.recv(65536)
            if not b:
                break
            got += len(b)
        conn.recv(1)

    def setup(s):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    srv.setup = setup

    def cli(c):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        c.connect((S_IP, port))
        c.sendall(b'z' * 200_000)
        c.shutdown(socket.SHUT_WR)
        time.sleep(0.3)

    run_pair(port, srv, cli)
    stop(cap)


def keep_alive(path):
    port = 9102
    cap = capture(path, port)

    def srv(conn):
        conn.recv(100)
        time.sleep(3.6)                      # idle: the client's keep-alives and their ACKs
        conn.sendall(b'bye')
        conn.recv(1)

    def cli(c):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        c.connect((S_IP, port))
        c.sendall(b'hello')
        c.recv(3)

    run_pair(port, srv, cli)
    stop(cap)


def lossy(path, port, rule, size):
    LINK.rule = rule
    LINK.count = {0: 0, 1: 0}
    cap = capture(path, port)

    def srv(conn):
        data = b''
        while len(data) < 20:
            data += conn.recv(100)
        conn.sendall(b'r' * size)
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(65536):
            pass

    def cli(c):
        c.connect((S_IP, port))
        c.sendall(b'GET /file HTTP/1.0\r\n\r\n')
        while c.recv(65536):
            pass

    run_pair(port, srv, cli)
    stop(cap)
    LINK.rule = None


def main():
    os.makedirs(OUT, exist_ok=True)
    setup()
    try:
        zero_window(os.path.join(OUT, 'ws-zero-window.pcap'))
        keep_alive(os.path.join(OUT, 'ws-keep-alive.pcap'))
        # Seeded loss both ways (client-side tap: client losses show as retransmissions, server
        # losses as holes, dup ACKs, fast retransmissions).
        import random
        rnd = random.Random(7)
        lossy(os.path.join(OUT, 'ws-loss.pcap'), 9103,
              lambda d, n, p: 'drop' if n > 3 and rnd.random() < 0.04 else None, 150_000)
        # Reordering from the server: one data packet in eight overtaken by the next.
        lossy(os.path.join(OUT, 'ws-reorder.pcap'), 9104,
              lambda d, n, p: 'hold' if d == 1 and n > 3 and n % 8 == 0 else None, 100_000)
    finally:
        teardown()


if __name__ == '__main__':
    main()
