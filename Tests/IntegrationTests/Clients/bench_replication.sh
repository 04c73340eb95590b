#!/usr/bin/env bash
# Replication benchmark (not a test): produce throughput and latency on a local 3-broker cluster,
# RF=3 acks=all (min.insync.replicas=2) beside RF=1 acks=1, with the machine's loopback and disk
# bandwidth measured in the same run.
#
#   swift build -c release --product sluice
#   bash Tests/IntegrationTests/Clients/bench_replication.sh [.build/release/sluice] [DATA_DIR] [RECORDS]
set -euo pipefail
BIN=${1:-.build/release/sluice}
DIR=${2:-/tmp/sluice-bench-replication}
RECORDS=${3:-2000000}
rm -rf "$DIR"
mkdir -p "$DIR"
trap '"$BIN" cluster down --data-dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== loopback: one TCP connection, 1 MiB sends, 4 GiB (python3 sockets)"
python3 - <<'PY'
import socket, threading, time
total, chunk = 4 << 30, 1 << 20
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
def sink():
    conn, _ = server.accept(); buf = bytearray(chunk); view = memoryview(buf); got = 0
    while got < total:
        n = conn.recv_into(view)
        if n == 0: break
        got += n
    conn.close()
t = threading.Thread(target=sink); t.start()
client = socket.create_connection(server.getsockname()); data = b"\0" * chunk
start = time.time()
for _ in range(total // chunk): client.sendall(data)
client.close(); t.join()
print("loopback %.2f GB/s" % (total / (time.time() - start) / 1e9))
PY
echo "== disk ($(df --output=fstype "$DIR" | tail -1 | tr -d ' ') under $DIR): 1 GiB with dd"
echo -n "with fdatasync (new file): "; dd if=/dev/zero of="$DIR/dd" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1
rm -f "$DIR/dd"
echo -n "buffered, page cache (as brokers write; new file): "; dd if=/dev/zero of="$DIR/dd" bs=1M count=1024 2>&1 | tail -1
rm -f "$DIR/dd"

"$BIN" cluster up --brokers 3 --data-dir "$DIR" | tail -1
export SLUICE_BOOTSTRAP
SLUICE_BOOTSTRAP=$(cat "$DIR/bootstrap")
"$BIN" topic create bench-rf1 --partitions 3 --replication-factor 1 >/dev/null
"$BIN" topic create bench-rf3 --partitions 3 --replication-factor 3 --config min.insync.replicas=2 >/dev/null
# Throughput: as fast as the producer goes (the latencies are then mostly queueing in the client).
for run in "bench-rf1 1" "bench-rf3 all" "bench-rf1 1" "bench-rf3 all"; do
    set -- $run
    echo "== sluice bench produce --topic $1 --acks $2 --records $RECORDS --record-size 100 --concurrency 2 --linger-ms 5"
    "$BIN" bench produce --topic "$1" --acks "$2" --records "$RECORDS" --record-size 100 --concurrency 2 --linger-ms 5 2>/dev/null
done
# Latency without queueing: one record in flight, awaited, timed until a consumer reads it (a
# consumer sees a record only once the high watermark passes it, so RF=3 includes replication).
for run in "bench-rf1 1" "bench-rf3 all"; do
    set -- $run
    echo "== sluice bench e2e --topic $1 --acks $2 --records 3000 --record-size 100 --linger-ms 0"
    "$BIN" bench e2e --topic "$1" --acks "$2" --records 3000 --record-size 100 --linger-ms 0 2>/dev/null
done
