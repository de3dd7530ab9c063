#!/bin/bash
# Records test/fixtures/kernel/: real Linux TCP for every scenario of issue 3 item 2 and issue 17 (normal
# closes, lost SYN / SYN+ACK / third ACK, simultaneous open and close, merged FIN+ACK, half-close,
# RSTs, forged RSTs, keep-alives, zero window, TIME_WAIT and port reuse; SYNs lost 3 times, SYN+ACKs
# lost twice, simultaneous open with lost SYNs, spoofed SYN flood, crossing FINs with a retransmitted
# FIN, a full accept queue), each as a capture at
# both ends (NAME.client.pcap, NAME.server.pcap; tcpdump -s 128) and the kernel's own states
# (NAME.truth.json: per socket, local/remote and the state sequence polled from /proc/net/tcp).
#
# Two network namespaces joined by a veth pair (client 10.88.0.1, server 10.88.0.2); segments are
# dropped with nftables rules inside the namespaces; forged RSTs come from scapy. The scenarios
# are played by scripts/kernel-scenarios.py, run with Debian's python (/usr/bin/python3 has scapy).
# Needs root, ip, nft (Debian's nftables), tcpdump. The namespaces are always deleted.
#
# The truth is polled every ~0.5 ms by a process of its own at real-time priority (each state's
# first and last poll, the polled span and the longest gap are in the truth file), as the timed
# per-moment check needs (scripts/kernel-timed-check.ts). The issue-3 fixtures in
# test/fixtures/kernel were recorded before that (2 ms, a thread whose poll times lag its reads);
# they are recorded again with it in test/fixtures/kernel/timed/:
#   scripts/record-kernel-scenarios.sh test/fixtures/kernel/timed normal-client-close …
# KERNEL_NS_TAG names the namespaces and veths (default synk<pid>).
#
#   scripts/record-kernel-scenarios.sh [OUTDIR] [SCENARIO…]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-test/fixtures/kernel}
shift || true
ONLY=("$@")
TAG=${KERNEL_NS_TAG:-synk$$}  # namespace and veth names start with it
NS_C=$TAG-c
NS_S=$TAG-s
DEV_C=$TAG-vc
DEV_S=$TAG-vs

cleanup() {
  ip netns del "$NS_C" 2>/dev/null || true
  ip netns del "$NS_S" 2>/dev/null || true
}
trap cleanup EXIT

for tool in ip nft tcpdump chrt; do
  command -v "$tool" >/dev/null || { echo "record-kernel-scenarios: $tool is missing" >&2; exit 1; }
done
/usr/bin/python3 -c 'import scapy' || { echo "record-kernel-scenarios: /usr/bin/python3 lacks scapy" >&2; exit 1; }

# Namespaces with a TCP hash table of their own (256 buckets): reading /proc/net/tcp walks every
# bucket of the table, ~1.7 ms on the host's shared one, ~60 µs on these, so polls can be 0.5 ms
# apart. The host's setting is put back at once (it only sizes namespaces created meanwhile).
EHASH=$(sysctl -n net.ipv4.tcp_child_ehash_entries 2>/dev/null || echo)
[ -n "$EHASH" ] && sysctl -qw net.ipv4.tcp_child_ehash_entries=256
ip netns add "$NS_C"
ip netns add "$NS_S"
[ -n "$EHASH" ] && sysctl -qw net.ipv4.tcp_child_ehash_entries="$EHASH"
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
  # SYNs retransmitted 1 s, 2 s, 4 s … apart (RFC 6298 §5.5 doubling): Linux 6.7+ first waits 1 s
  # four times (tcp_syn_linear_timeouts=4); older kernels have no such setting.
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 2>/dev/null || true
done
# Spoofed SYN sources (syn-flood-spoofed) are routed back to the client namespace, which does not
# forward: the server's SYN+ACKs to them leave (and are captured) and are never answered.
ip -n "$NS_S" route add 198.18.0.0/24 via 10.88.0.1
mkdir -p "$OUT"
/usr/bin/python3 scripts/kernel-scenarios.py "$NS_C" "$DEV_C" "$NS_S" "$DEV_S" "$OUT" "${ONLY[@]}"
