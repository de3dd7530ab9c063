#!/usr/bin/env python3
"""Records real Linux TCP for the Wireshark-analysis regression fixtures (test/fixtures/ws-*.pcap):
zero window (a receiver that stops reading), keep-alives (TCP_KEEPIDLE=1), and loss/reordering
(tc netem) between two network namespaces joined by a veth pair. Captures at the client side with
a short snaplen so each file stays small. Run as root from the repository root:
    python3 scripts/record-wireshark-fixtures.py test/fixtures
Only the namespaces this script creates are touched; they are deleted at the end."""
import ctypes, os, socket, subprocess, sys, threading, time

OUT = sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures'
NS_C, NS_S = 'wsfx_client', 'wsfx_server'
C_IP, S_IP = '10.77.0.1', '10.77.0.2'


def sh(*args, check=True):
    return subprocess.run(args, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def setup():
    teardown()
    sh('ip', 'netns', 'add', NS_C)
    sh('ip', 'netns', 'add', NS_S)
    sh('ip', 'link', 'add', 'wsfx0', 'netns', NS_C, 'type', 'veth', 'peer', 'name', 'wsfx1', 'netns', NS_S)
    sh('ip', '-n', NS_C, 'addr', 'add', C_IP + '/24', 'dev', 'wsfx0')
    sh('ip', '-n', NS_S, 'addr', 'add', S_IP + '/24', 'dev', 'wsfx1')
    for ns, dev in ((NS_C, 'wsfx0'), (NS_S, 'wsfx1')):
        sh('ip', '-n', ns, 'link', 'set', dev, 'up')
        sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        # Real segment sizes on the wire (no GSO/TSO super-packets in the capture).
        sh('ip', 'netns', 'exec', ns, 'ethtool', '-K', dev, 'gso', 'off', 'tso', 'off', 'gro', 'off', check=False)


def teardown():
    sh('ip', 'netns', 'del', NS_C, check=False)
    sh('ip', 'netns', 'del', NS_S, check=False)


def netem(ns, dev, *rule):
    sh('ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', 'netem', *rule)


def clear_netem():
    sh('ip', 'netns', 'exec', NS_C, 'tc', 'qdisc', 'del', 'dev', 'wsfx0', 'root', check=False)
    sh('ip', 'netns', 'exec', NS_S, 'tc', 'qdisc', 'del', 'dev', 'wsfx1', 'root', check=False)


def in_ns(name):
    """Enter a network namespace for the calling thread's sockets (setns)."""
    fd = os.open(f'/var/run/netns/{name}', os.O_RDONLY)
    if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), 'setns failed')
    os.close(fd)


def capture(path, port):
    p = subprocess.Popen(['ip', 'netns', 'exec', NS_C, 'tcpdump', '-i', 'wsfx0', '-U', '-s', '96', '-w', path,
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


def lossy(path, port, client_rule, server_rule, size):
    netem(NS_C, 'wsfx0', *client_rule)
    netem(NS_S, 'wsfx1', *server_rule)
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
    clear_netem()


def main():
    os.makedirs(OUT, exist_ok=True)
    setup()
    try:
        zero_window(os.path.join(OUT, 'ws-zero-window.pcap'))
        keep_alive(os.path.join(OUT, 'ws-keep-alive.pcap'))
        # Loss both ways (client-side tap: client losses show as retransmissions, server losses as
        # holes, dup ACKs and fast retransmissions).
        lossy(os.path.join(OUT, 'ws-loss.pcap'), 9103, ('delay', '5ms', 'loss', '4%'),
              ('delay', '5ms', 'loss', '4%'), 300_000)
        # Reordering from the server: out-of-order segments and dup ACKs.
        lossy(os.path.join(OUT, 'ws-reorder.pcap'), 9104, ('delay', '2ms'),
              ('delay', '10ms', 'reorder', '25%', '50%'), 200_000)
    finally:
        teardown()


if __name__ == '__main__':
    main()
