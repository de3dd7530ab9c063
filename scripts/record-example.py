#!/usr/bin/env python3
"""Records examples/loopback-lifecycles.pcap: real Linux TCP on loopback, one connection per
ending users ask about (client closes, server closes, refused, reset by abort, half-close).
Run as root: python3 scripts/record-example.py examples/loopback-lifecycles.pcap"""
import socket, struct, subprocess, sys, threading, time

OUT = sys.argv[1] if len(sys.argv) > 1 else 'examples/loopback-lifecycles.pcap'
PORT = 8801
CLOSED_PORT = 8802

dump = subprocess.Popen(['tcpdump', '-i', 'lo', '-U', '--immediate-mode', '-Z', 'root', '-s', '262144', '-w', OUT,
                         f'tcp port {PORT} or tcp port {CLOSED_PORT}'],
                        stderr=subprocess.DEVNULL)
time.sleep(1.0)

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', PORT))
srv.listen(8)

def serve():
    for mode in ['reply-then-wait', 'server-close', 'abort', 'half-close']:
        c, _ = srv.accept()
        req = c.recv(4096)
        if mode == 'reply-then-wait':
            c.sendall(b'HTTP/1.0 200 OK\r\n\r\n' + b'x' * 3000)
            c.recv(1)          # wait for the client's FIN
            c.close()
        elif mode == 'server-close':
            c.sendall(b'bye\n')
            c.close()
        elif mode == 'abort':
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            c.close()          # RST instead of FIN
        elif mode == 'half-close':
            while c.recv(4096):
                pass           # read until the client's FIN, then keep sending
            c.sendall(b'data after your FIN\n' * 5)
            c.close()

t = threading.Thread(target=serve)
t.start()

def client(payload, after):
    s = socket.create_connection(('127.0.0.1', PORT))
    s.sendall(payload)
    after(s)

def client_close(s):
    s.recv(65536); time.sleep(0.05); s.close()

def wait_server_close(s):
    while s.recv(4096):
        pass
    s.close()

def half_close(s):
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()

client(b'GET / HTTP/1.0\r\n\r\n', client_close)
time.sleep(0.1)
client(b'hello\n', wait_server_close)
time.sleep(0.1)
try:
    client(b'abort me\n', lambda s: (s.recv(10), s.close()))
except ConnectionResetError:
    pass
time.sleep(0.1)
client(b'upload then FIN\n', half_close)
time.sleep(0.1)
try:
    socket.create_connection(('127.0.0.1', CLOSED_PORT))
except ConnectionRefusedError:
    pass
t.join()
time.sleep(1.5)
dump.send_signal(2)  # SIGINT: tcpdump drains its buffer and closes the file
dump.wait()
