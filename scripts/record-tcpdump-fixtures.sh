#!/bin/bash
# Records test/fixtures/tcpdump-lo-ipv4.pcap, tcpdump-lo-ipv6.pcap, tcpdump-any-sll2.pcap: python3 http.server
# on 127.0.0.1 and ::1, fetched with curl and a python client (half-close, abortive close), plus a
# refused connection. Run as root from the repository: scripts/record-tcpdump-fixtures.sh test/fixtures
set -e
OUT=$1
P4=18081; P6=18082
python3 -m http.server $P4 --bind 127.0.0.1 >/dev/null 2>&1 & S4=$!
python3 -m http.server $P6 --bind ::1 >/dev/null 2>&1 & S6=$!
sleep 1
tcpdump -i lo -s 262144 -U -w $OUT/tcpdump-lo-ipv4.pcap "tcp port $P4" 2>/dev/null & D1=$!
tcpdump -i lo -s 262144 -U -w $OUT/tcpdump-lo-ipv6.pcap "tcp port $P6" 2>/dev/null & D2=$!
tcpdump -i any -s 262144 -U -w $OUT/tcpdump-any-sll2.pcap "tcp port $P4 or tcp port $P6" 2>/dev/null & D3=$!
sleep 1.5
curl -s -o /dev/null http://127.0.0.1:$P4/ ; curl -s -o /dev/null "http://127.0.0.1:$P4/nonexistent"
curl -s -o /dev/null "http://[::1]:$P6/"
curl -s -o /dev/null http://127.0.0.1:18089/ || true
python3 - <<PY
import socket
s=socket.create_connection(('127.0.0.1',$P4)); s.sendall(b'GET / HTTP/1.0\r\n\r\n'); s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
s.close()
s=socket.create_connection(('::1',$P6)); s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00'); s.close()
PY
sleep 1.5
kill $D1 $D2 $D3 $S4 $S6
wait 2>/dev/null || true
