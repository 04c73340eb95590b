#!/usr/bin/env bash
# Network namespaces as separate "machines" for ClusterNetnsTests.
#   netns.sh up PREFIX SUBNET N    -> namespaces PREFIX-1..N, each with 10.200.SUBNET.i/24 on a veth
#                                     joined by bridge PREFIX-br (10.200.SUBNET.254 in this namespace)
#   netns.sh down PREFIX N         -> removes them (idempotent)
#   netns.sh cut PREFIX I ADDR...  -> PREFIX-I drops every packet to and from ADDRs (nftables table
#                                     `inet sluice_partition` in its namespace; silent, as a real partition)
#   netns.sh isolate PREFIX I      -> PREFIX-I drops every packet but loopback's
#   netns.sh heal PREFIX I         -> removes PREFIX-I's table (idempotent); `down` removes it too
set -euo pipefail
cmd=$1; prefix=$2
case "$cmd" in
up)
    subnet=$3; n=$4
    ip link add "$prefix-br" type bridge
    ip addr add "10.200.$subnet.254/24" dev "$prefix-br"
    ip link set "$prefix-br" up
    for i in $(seq 1 "$n"); do
        ns="$prefix-$i"
        ip netns add "$ns"
        ip link add "$prefix-v$i" type veth peer name "$prefix-p$i"
        ip link set "$prefix-p$i" netns "$ns"
        ip link set "$prefix-v$i" master "$prefix-br"
        ip link set "$prefix-v$i" up
        ip netns exec "$ns" ip link set lo up
        ip netns exec "$ns" ip addr add "10.200.$subnet.$i/24" dev "$prefix-p$i"
        ip netns exec "$ns" ip link set "$prefix-p$i" up
    done
    ;;
down)
    n=$3
    for i in $(seq 1 "$n"); do
        ip netns del "$prefix-$i" 2>/dev/null || true
        ip link del "$prefix-v$i" 2>/dev/null || true
    done
    ip link del "$prefix-br" 2>/dev/null || true
    ;;
cut)
    ns="$prefix-$3"; shift 3
    set_of=$(IFS=,; echo "$*")
    ip netns exec "$ns" nft -f - <<EOF
table inet sluice_partition {
    chain input { type filter hook input priority 0; policy accept; ip saddr { $set_of } drop; }
    chain output { type filter hook output priority 0; policy accept; ip daddr { $set_of } drop; }
}
EOF
    ;;
isolate)
    ns="$prefix-$3"
    ip netns exec "$ns" nft -f - <<EOF
table inet sluice_partition {
    chain input { type filter hook input priority 0; policy accept; iifname != "lo" drop; }
    chain output { type filter hook output priority 0; policy accept; oifname != "lo" drop; }
}
EOF
    ;;
heal)
    ip netns exec "$prefix-$3" nft delete table inet sluice_partition 2>/dev/null || true
    ;;
*)
    echo "unknown command $cmd" >&2; exit 2
    ;;
esac
