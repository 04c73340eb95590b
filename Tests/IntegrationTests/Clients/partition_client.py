"""An acknowledged-writes audit for ClusterPartitionTests, as `sluice verify` does it: an idempotent
acks=all confluent-kafka producer records where each acknowledged record landed, and a read-back
checks that every one of them is there, exactly at that offset, and nothing twice.

  partition_client.py produce BOOTSTRAP TOPIC STOP_FILE ACKED_FILE [PARTITION]
      produces m-0, m-1, ... (about 200 a second, round robin over the partitions, or to PARTITION
      only: then the producer's only busy connection is to that partition's leader) until STOP_FILE
      appears, then waits for every answer; each acknowledgement is one line "value partition
      offset seconds" of ACKED_FILE, written at once (the test counts them while it runs).
      -> {"sent", "acknowledged", "failed", "errors": {error: count}, "longest_gap": s,
          "gaps": [[start s, length s], ...]}   (gaps: > 1 s with nothing acknowledged while
                                                 records were waiting, seconds into the run)
  partition_client.py check BOOTSTRAP TOPIC ACKED_FILE [RACK]
      reads every partition from offset 0 to its end (with client.rack RACK: from that rack's
      replica, KIP-392, so each replica's log can be checked);
      -> {"acknowledged", "read", "lost": [first 20 "value p@offset: found"], "lost_count",
          "duplicated": [first 20 values read at two offsets], "fetched_from": {partition: broker}}
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def produce(bootstrap, topic, stop_file, acked_file, only=None):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5, "delivery.timeout.ms": 30000, "request.timeout.ms": 5000,
                         "retry.backoff.ms": 100, "retry.backoff.max.ms": 500,
                         "topic.metadata.refresh.interval.ms": 1000,
                         # Sockets to a partitioned broker fail fast instead of after the OS timeout.
                         "socket.connection.setup.timeout.ms": 3000})
    partitions = len(producer.list_topics(topic, timeout=30).topics[topic].partitions)
    start = time.monotonic()
    stats = {"sent": 0, "acknowledged": 0, "failed": 0, "errors": {}}
    record = open(acked_file, "w", buffering=1)
    last_ack = [start]
    gaps = []

    def delivered(err, msg):
        now = time.monotonic()
        if err is not None:
            stats["failed"] += 1
            stats["errors"][err.name()] = stats["errors"].get(err.name(), 0) + 1
            return
        stats["acknowledged"] += 1
        if now - last_ack[0] > 1:
            gaps.append([round(last_ack[0] - start, 2), round(now - last_ack[0], 2)])
        last_ack[0] = now
        record.write("%s %d %d %.3f\n" % (msg.value().decode(), msg.partition(), msg.offset(), now - start))

    i = 0
    while not os.path.exists(stop_file):
        try:
            partition = int(only) if only is not None else i % partitions
            producer.produce(topic, value=b"m-%d" % i, partition=partition, on_delivery=delivered)
        except BufferError:
            producer.poll(0.1)
            continue
        stats["sent"] += 1
        i += 1
        producer.poll(0.005)
    remaining = producer.flush(60)
    now = time.monotonic()
    if remaining == 0 and stats["acknowledged"] + stats["failed"] < stats["sent"]:
        remaining = stats["sent"] - stats["acknowledged"] - stats["failed"]
    record.close()
    stats["unanswered"] = remaining
    stats["gaps"] = gaps
    stats["longest_gap"] = max([g[1] for g in gaps] + [0])
    stats["seconds"] = round(now - start, 2)
    print(json.dumps(stats))


def check(bootstrap, topic, acked_file, rack=None):
    acked = {}
    for line in open(acked_file):
        parts = line.split()
        if len(parts) == 4:
            acked[parts[0]] = (int(parts[1]), int(parts[2]))
    config = {"bootstrap.servers": bootstrap, "group.id": "partition-check-%d" % os.getpid(),
              "enable.auto.commit": False, "enable.partition.eof": True, "fetch.wait.max.ms": 100,
              "statistics.interval.ms": 500}
    stats = []
    config["stats_cb"] = lambda s: stats.append(json.loads(s))
    if rack:
        config["client.rack"] = rack
    consumer = Consumer(config)
    partitions = sorted(consumer.list_topics(topic, timeout=30).topics[topic].partitions)
    ends = {}
    for p in partitions:
        ends[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions if ends[p] > 0])
    at = {}            # (partition, offset) -> value
    seen = {}          # value -> first (partition, offset)
    duplicated = []
    done = set(p for p in partitions if ends[p] == 0)
    deadline = time.time() + 60
    while len(done) < len(partitions) and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == -191:  # _PARTITION_EOF
                if msg.offset() >= ends[msg.partition()]:
                    done.add(msg.partition())
            continue
        value = msg.value().decode()
        where = (msg.partition(), msg.offset())
        if where in at:
            continue  # read again after a reconnect
        at[where] = value
        if value in seen and seen[value] != where:
            duplicated.append(value)
        seen.setdefault(value, where)
        if msg.offset() + 1 >= ends[msg.partition()]:
            done.add(msg.partition())
    end = time.time() + 1
    while time.time() < end:
        consumer.poll(0.2)
    consumer.close()
    lost = []
    for value, (p, offset) in sorted(acked.items(), key=lambda kv: int(kv[0].split("-")[1])):
        if at.get((p, offset)) != value:
            lost.append("%s %d@%d: %s" % (value, p, offset, at.get((p, offset), "nothing")))
    fetched_from = {}
    if stats:
        for p, s in stats[-1].get("topics", {}).get(topic, {}).get("partitions", {}).items():
            if p != "-1":
                fetched_from[p] = s.get("broker")
    print(json.dumps({"acknowledged": len(acked), "read": len(at), "lost": lost[:20], "lost_count": len(lost),
                      "duplicated": duplicated[:20], "ends": {str(p): e for p, e in ends.items()},
                      "incomplete": sorted(set(partitions) - done), "fetched_from": fetched_from}))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"produce": produce, "check": check}[command](*args)
