#!/bin/bash
# Records test/fixtures/kernel/: real Linux TCP for every scenario of issue 3 item 2 (normal
# closes, lost SYN / SYN+ACK / third ACK, simultaneous open and close, merged FIN+ACK, half-close,
# RSTs, forged RSTs, keep-alives, zero window, TIME_WAIT and port reuse), each as a capture at
# both ends (NAME.client.pcap, NAME.server.pcap; tcpdump -s 128) and the kernel's own states
# (NAME.truth.json: per socket, local/remote and the state sequence polled from /proc/net/tcp).
#
# Two network namespaces joined by a veth pair (client 10.88.0.1, server 10.88.0.2); segments are
# dropped with nftables rules inside the namespaces; forged RSTs come from scapy. The scenarios
# are played by scripts/kernel-scenarios.py, run with Debian's python (/usr/bin/python3 has scapy).
# Needs root, ip, nft (Debian's nftables), tcpdump. The namespaces are always deleted.
#
#   scripts/record-kernel-scenarios.sh [OUTDIR] [SCENARIO…]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-test/fixtures/kernel}
shift || true
ONLY=("$@")
TAG=synk$$
NS_C=$TAG-c
NS_S=$TAG-s
DEV_C=$TAG-vc
DEV_S=$TAG-vs

cleanup() {
  ip netns del "$NS_C" 2>/dev/null || true
  ip netns del "$NS_S" 2>/dev/null || true
}
trap cleanup EXIT

for tool in ip nft tcpdump; do
  command -v "$tool" >/dev/null || { echo "record-kernel-scenarios: $tool is missing" >&2; exit 1; }
done
/usr/bin/python3 -c 'import scapy' || { echo "record-kernel-scenarios: /usr/bin/python3 lacks scapy" >&2; exit 1; }

ip netns add "$NS_C"
ip netns add "$NS_S"
ip link add "$DEV_C" netns "$NS_C" type veth peer name "$DEV_S" netns "$NS_S"
ip -n "$NS_C" addr add 10.88.0.1/24 dev "$DEV_C"
ip -n "$NS_S" addr add 10.88.0.2/24 dev "$DEV_S"
for pair in "$NS_C:$DEV_C" "$NS_S:$DEV_S"; do
  ns=${pair%%:*}
  dev=${pair#*:}
  ip -n "$ns" link set lo up
  # One segment per packet on the capture, as on a wire (no GSO/GRO super-packets).
  ip -n "$ns" link set "$dev" gso_max_size 1500 gro_max_size 1500 2>/dev/null || true
  ip -n "$ns" link set "$dev" up
  # Linux defaults made explicit: the scenarios' timings depend on them.
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_retries=6 net.ipv4.tcp_synack_retries=5 \
    net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_tw_reuse=0
done
mkdir -p "$OUT"
/usr/bin/python3 scripts/kernel-scenarios.py "$NS_C" "$DEV_C" "$NS_S" "$DEV_S" "$OUT" "${ONLY[@]}"
