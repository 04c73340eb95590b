"""How a broker's log cleanup looks to kafka-python: DeleteRecords, retention and compaction.

Each scenario drives a real client against the broker and prints JSON lines (see scenarios.py's
`emit`) that the Swift tests check (DeleteRecordsInteropTests, RetentionInteropTests,
CompactionInteropTests): what was produced (offsets by key), what a consumer reading from the
beginning saw, and where the log start was.

    python3 log_cleanup.py compaction --bootstrap 127.0.0.1:9092 --topic t --codec lz4
"""
import argparse
import random
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, OffsetOutOfRangeError

from scenarios import emit


def admin(args):
    return KafkaAdminClient(bootstrap_servers=args.bootstrap, request_timeout_ms=15000)


def create(args, configs):
    client = admin(args)
    client.create_topics([NewTopic(args.topic, 1, 1, topic_configs=configs)])
    client.close()
    emit(event="created", configs=configs)


def producer(args, codec="none", batch_size=1000):
    # Small batches: a batch must fit the topic's small segment.bytes.
    return KafkaProducer(bootstrap_servers=args.bootstrap, compression_type=None if codec == "none" else codec,
                         batch_size=batch_size, linger_ms=5, acks="all")


def produce(prod, topic, records):
    """records: (key, value, timestamp_ms); returns the offsets, in order."""
    futures = [prod.send(topic, key=k, value=v, timestamp_ms=ts, partition=0) for k, v, ts in records]
    prod.flush(30)
    return [f.get(timeout=30).offset for f in futures]


def now_ms():
    return int(time.time() * 1000)


def value(text, size=100):
    seed = text.encode() + b"|"
    return (seed * (size // len(seed) + 1))[:size]


class Reader:
    """A consumer assigned to partition 0 (no group), which reads ranges from any offset."""

    def __init__(self, args, reset="earliest"):
        self.tp = TopicPartition(args.topic, 0)
        self.consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=None, enable_auto_commit=False,
                                      auto_offset_reset=reset, fetch_max_wait_ms=100)
        self.consumer.assign([self.tp])

    def earliest(self):
        return self.consumer.beginning_offsets([self.tp])[self.tp]

    def latest(self):
        return self.consumer.end_offsets([self.tp])[self.tp]

    def read(self, start, until, deadline_s=30):
        """Seeks to `start` (an offset, or None for the beginning) and reads until the position
        reaches `until`; returns (offset, key, value) triples."""
        if start is None:
            self.consumer.seek_to_beginning(self.tp)
        else:
            self.consumer.seek(self.tp, start)
        out = []
        deadline = time.time() + deadline_s
        while self.consumer.position(self.tp) < until and time.time() < deadline:
            for batch in self.consumer.poll(timeout_ms=200).values():
                out += [(r.offset, r.key.decode() if r.key is not None else None,
                         r.value.decode() if r.value is not None else None) for r in batch]
        return out

    def close(self):
        self.consumer.close()


def wait_for(what, condition, deadline_s=30):
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise SystemExit("timed out waiting for %s" % what)


def delete_records(args):
    create(args, {"segment.bytes": "2048"})
    prod = producer(args)
    offsets = produce(prod, args.topic, [(b"k%d" % i, value("v%d" % i), now_ms()) for i in range(100)])
    prod.close()
    emit(event="produced", first=offsets[0], last=offsets[-1])
    client = admin(args)
    tp = TopicPartition(args.topic, 0)
    result = client.delete_records({tp: 40})
    emit(event="deleted", low_watermark=result[tp]["low_watermark"])
    reader = Reader(args, reset="none")
    emit(event="earliest", offset=reader.earliest())
    try:
        reader.read(10, 100, deadline_s=10)
        emit(event="below_start", error=None)
    except OffsetOutOfRangeError as e:
        emit(event="below_start", error=type(e).__name__)
    reader.close()
    reader = Reader(args, reset="earliest")
    records = reader.read(10, 100)
    emit(event="reset_to_earliest", offsets=[r[0] for r in records])
    result = client.delete_records({tp: -1})
    emit(event="deleted_to_end", low_watermark=result[tp]["low_watermark"], earliest=reader.earliest())
    reader.close()
    try:
        client.delete_records({tp: 500})
        emit(event="past_end", error=None)
    except KafkaError as e:
        emit(event="past_end", error=type(e).__name__)
    compacted = args.topic + "-compacted"
    client.create_topics([NewTopic(compacted, 1, 1, topic_configs={"cleanup.policy": "compact"})])
    try:
        client.delete_records({TopicPartition(compacted, 0): 0})
        emit(event="compacted", error=None)
    except KafkaError as e:
        emit(event="compacted", error=type(e).__name__)
    client.close()


def retention_bytes(args):
    """A consumer reads from the start; then retention.bytes is set (IncrementalAlterConfigs),
    the background retention deletes old segments, and the consumer, seeking back to its old
    position, is reset to the new log start."""
    create(args, {"segment.bytes": "4096"})
    prod = producer(args)
    offsets = produce(prod, args.topic, [(None, value("v%d" % i), now_ms()) for i in range(300)])
    prod.close()
    emit(event="produced", first=offsets[0], last=offsets[-1])
    reader = Reader(args)
    before = reader.read(None, offsets[-1] + 1)
    emit(event="before", earliest=reader.earliest(), first=before[0][0], count=len(before))
    client = admin(args)
    client.alter_configs([ConfigResource(ConfigResourceType.TOPIC, args.topic, configs={"retention.bytes": "8192"})],
                         incremental=True)
    client.close()
    earliest = wait_for("retention to move the log start", lambda: reader.earliest() or None)
    after = reader.read(0, offsets[-1] + 1)
    emit(event="after", earliest=earliest, offsets=[r[0] for r in after])
    reader.close()


def retention_time(args):
    """Records older than the topic's retention.ms (set before the broker restarted) go; the
    newer ones stay."""
    prod = producer(args)
    old = produce(prod, args.topic, [(None, value("old%d" % i), now_ms() - 600_000) for i in range(100)])
    new = produce(prod, args.topic, [(None, value("new%d" % i), now_ms()) for i in range(100)])
    prod.close()
    emit(event="produced", old=[old[0], old[-1]], new=[new[0], new[-1]])
    reader = Reader(args)
    earliest = wait_for("retention to move the log start", lambda: reader.earliest() or None)
    records = reader.read(None, new[-1] + 1)
    emit(event="after", earliest=earliest, offsets=[r[0] for r in records],
         new_values=sum(1 for r in records if r[2].startswith("new")))
    reader.close()


def compaction(args):
    """Keys written many times (interleaved, so batches mix stale and latest values), some
    deleted with tombstones, then padding that pushes them out of the active segment; read from
    the beginning until the cleaner has left one record per key."""
    configs = {"cleanup.policy": args.policy, "segment.bytes": "4096", "min.cleanable.dirty.ratio": "0.01"}
    if "delete" in args.policy:
        configs["retention.ms"] = "60000"
    create(args, configs)
    prod = producer(args, codec=args.codec)
    reader = Reader(args)
    if args.old:
        # compact,delete: expired records go by retention, whatever their keys.
        old = produce(prod, args.topic, [(b"old-%d" % i, value("old%d" % i), now_ms() - 600_000)
                                         for i in range(args.old)])
        wait_for("retention to delete the expired records", lambda: reader.earliest() == old[-1] + 1)
        emit(event="expired", count=len(old), earliest=reader.earliest())
    rng = random.Random(7)
    writes = [k for k in range(args.keys) for _ in range(args.rounds)]
    rng.shuffle(writes)
    seen = {}
    records = []
    for k in writes:
        r = seen.get(k, 0)
        seen[k] = r + 1
        last = r == args.rounds - 1
        tombstone = last and k % 5 == 0
        records.append((b"key-%d" % k, None if tombstone else value("key-%d-round-%d" % (k, r)), now_ms()))
    offsets = produce(prod, args.topic, records)
    latest = {}
    for (key, val, _), offset in zip(records, offsets):
        latest[key.decode()] = [offset, val.decode() if val is not None else None]
    # Padding that compresses poorly, three segments' worth, so that every keyed record is in a
    # segment the cleaner may clean (never the active one) whatever the codec.
    letters = "abcdefghijklmnopqrstuvwxyz"
    pad = produce(prod, args.topic, [(b"pad-%d" % i, "".join(rng.choice(letters) for _ in range(200)).encode(), now_ms())
                                     for i in range(100)])
    prod.close()
    emit(event="produced", latest=latest, pad=[pad[0], pad[-1]])

    def compacted():
        end = reader.latest()
        got = reader.read(None, end)
        keys = [r[1] for r in got if r[1].startswith("key-")]
        return got if len(keys) == len(set(keys)) else None

    got = wait_for("the cleaner to leave one record per key", compacted)
    emit(event="compacted", earliest=reader.earliest(), records=[[o, k, v] for o, k, v in got])
    reader.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["delete-records", "create", "retention-bytes", "retention-time",
                                             "compaction"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--config", action="append", default=[], help="key=value (create)")
    parser.add_argument("--codec", default="none")
    parser.add_argument("--policy", default="compact")
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--old", type=int, default=0)
    args = parser.parse_args()
    if args.scenario == "create":
        create(args, dict(c.split("=", 1) for c in args.config))
    else:
        {"delete-records": delete_records, "retention-bytes": retention_bytes, "retention-time": retention_time,
         "compaction": compaction}[args.scenario](args)


if __name__ == "__main__":
    sys.exit(main())
