#!/bin/bash
# Records test/fixtures/port-exhaustion.pcap and its truth file port-exhaustion.truth.json: real
# Linux connections that run one client out of ephemeral ports (seed 001's arithmetic: usable
# ports ÷ TIME_WAIT = the highest sustainable rate to one server address and port).
#
# Two network namespaces joined by a veth pair, not loopback: on loopback Linux's default
# net.ipv4.tcp_tw_reuse=2 lets connect() reuse ports in TIME_WAIT, so the range would never run
# out. The client namespace gets a shrunken net.ipv4.ip_local_port_range (LOW HIGH, default
# 40000 40199 = 200 ports); a python3 client opens short request/response connections to one
# server port as fast as it can, closing first (so the TIME_WAIT is on its side), until connect()
# fails with EADDRNOTAVAIL; it keeps trying for 2 s more (no SYN leaves: the failure is local),
# then the client namespace's `ss -Htan state time-wait` count is written to the truth file.
# tcpdump runs on the client's veth with -s 96 (headers only: the file stays small).
#
# Run as root from the repository:  scripts/record-port-exhaustion.sh [OUTDIR] [LOW HIGH]
# The namespaces are always deleted, whatever happens (trap on EXIT).
set -euo pipefail
OUT=${1:-test/fixtures}
LOW=${2:-40000}
HIGH=${3:-40199}
PCAP=$OUT/port-exhaustion.pcap
TRUTH=$OUT/port-exhaustion.truth.json
TAG=synpe$$
NS_C=$TAG-c
NS_S=$TAG-s
CLI_IP=10.231.77.1
SRV_IP=10.231.77.2
PORT=5000
TMP=$(mktemp -d)
DUMP_PID=""
SRV_PID=""

cleanup() {
  [ -n "$DUMP_PID" ] && kill "$DUMP_PID" 2>/dev/null || true
  [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null || true
  ip netns del "$NS_C" 2>/dev/null || true
  ip netns del "$NS_S" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS_C"
ip netns add "$NS_S"
ip link add "$TAG-vc" netns "$NS_C" type veth peer name "$TAG-vs" netns "$NS_S"
ip -n "$NS_C" addr add $CLI_IP/24 dev "$TAG-vc"
ip -n "$NS_S" addr add $SRV_IP/24 dev "$TAG-vs"
ip -n "$NS_C" link set lo up
ip -n "$NS_S" link set lo up
ip -n "$NS_C" link set "$TAG-vc" up
ip -n "$NS_S" link set "$TAG-vs" up
# No offloads: the capture shows segments as they are on the wire, not coalesced by GRO.
ip netns exec "$NS_C" ethtool -K "$TAG-vc" gro off tso off gso off >/dev/null 2>&1 || true
ip netns exec "$NS_C" sysctl -qw net.ipv4.ip_local_port_range="$LOW $HIGH"
# Off explicitly (2, the default, already means loopback only): ports in TIME_WAIT are not reused.
ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_tw_reuse=0

ip netns exec "$NS_S" python3 - "$SRV_IP" "$PORT" <<'PY' &
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(1024)
while True:
    c, _ = srv.accept()
    c.recv(64)                 # the request
    c.sendall(b'OK\n')         # the response
    while c.recv(64):          # until the client's FIN: the client closes first
        pass
    c.close()
PY
SRV_PID=$!

ip netns exec "$NS_C" tcpdump -i "$TAG-vc" -s 96 -U -w "$PCAP" tcp 2>"$TMP/tcpdump.err" &
DUMP_PID=$!
# Wait until the server listens and tcpdump has opened its file.
for _ in $(seq 50); do
  if ip netns exec "$NS_S" ss -Htln "sport = :$PORT" | grep -q LISTEN && [ -s "$PCAP" ]; then break; fi
  sleep 0.1
done
sleep 0.5

ip netns exec "$NS_C" python3 - "$SRV_IP" "$PORT" >"$TMP/client.json" <<'PY'
import errno, json, socket, sys, time
server = (sys.argv[1], int(sys.argv[2]))
opened = 0
ports = []
first_fail = None
failures = 0
while True:
    s = socket.socket()
    try:
        s.connect(server)
    except OSError as e:
        s.close()
        if e.errno != errno.EADDRNOTAVAIL:
            raise
        failures += 1
        now = time.time()
        if first_fail is None:
            first_fail = now
        if now - first_fail >= 2.0:  # keep trying: the SYN rate stays 0 while the range is full
            break
        time.sleep(0.01)
        continue
    ports.append(s.getsockname()[1])
    s.sendall(b'GET\n')
    s.recv(64)
    s.close()
    opened += 1
print(json.dumps({"connections": opened, "low_port": min(ports), "high_port": max(ports),
                  "distinct_ports": len(set(ports)), "eaddrnotavail_failures": failures}))
PY

# Let the last teardown finish on the wire, then count what the client's kernel holds.
sleep 0.5
TW=$(ip netns exec "$NS_C" ss -Htan state time-wait | wc -l)
TW_TO_SERVER=$(ip netns exec "$NS_C" ss -Htan state time-wait dst "$SRV_IP" dport = ":$PORT" | wc -l)
kill -INT "$DUMP_PID"
wait "$DUMP_PID" 2>/dev/null || true
DUMP_PID=""
DROPPED=$(grep -o '[0-9]* packets dropped by kernel' "$TMP/tcpdump.err" | cut -d' ' -f1)

python3 - "$TMP/client.json" "$TRUTH" <<PY
import json, sys
client = json.load(open(sys.argv[1]))
truth = {
  "client": "$CLI_IP", "server": "$SRV_IP", "port": $PORT,
  "ip_local_port_range": [$LOW, $HIGH],
  "time_wait": $TW, "time_wait_to_server_port": $TW_TO_SERVER,
  "tcpdump_dropped": int("${DROPPED:-0}"), "kernel": "$(uname -r)",
  **client,
}
json.dump(truth, open(sys.argv[2], "w"), indent=1)
open(sys.argv[2], "a").write("\n")
PY
cat "$TRUTH"
ls -l "$PCAP"
