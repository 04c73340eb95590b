#!/usr/bin/env bash
# Network namespaces as separate "machines" for ClusterNetnsTests.
#   netns.sh up PREFIX SUBNET N    -> namespaces PREFIX-1..N, each with 10.200.SUBNET.i/24 on a veth
#                                     joined by bridge PREFIX-br (10.200.SUBNET.254 in this namespace)
#   netns.sh down PREFIX N         -> removes them (idempotent)
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
esac
