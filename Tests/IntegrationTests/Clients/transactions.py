"""Kafka transactions through confluent-kafka (librdkafka) against a broker: what a
transactional producer and read_committed / read_uncommitted consumers see.

Each scenario prints JSON lines (scenarios.py's `emit`) that TransactionInteropTests checks.

    python3 transactions.py commit-abort --bootstrap 127.0.0.1:9092 --topic t
"""
import argparse
import os
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from scenarios import emit


def create(args, name, partitions=1):
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    futures = admin.create_topics([NewTopic(name, partitions, 1)])
    for f in futures.values():
        f.result(30)


def producer(args, txn_id, **extra):
    config = {"bootstrap.servers": args.bootstrap, "transactional.id": txn_id, "linger.ms": 5}
    config.update(extra)
    p = Producer(config)
    p.init_transactions(60)
    return p


def send(p, topic, values, partition=0):
    for v in values:
        p.produce(topic, value=v.encode(), partition=partition)
    p.flush(30)


def consume(args, topic, isolation, expect=None, seconds=10.0, group=None):
    """The values a consumer with `isolation` reads from the beginning of partition 0: until it
    has `expect` of them, or `seconds` without reaching it."""
    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": group or "reader-" + uuid.uuid4().hex[:8],
                  "isolation.level": isolation, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    values = []
    deadline = time.time() + seconds
    while time.time() < deadline and (expect is None or len(values) < expect):
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        values.append(m.value().decode())
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False)
    c.close()
    return values, high


def error_name(e):
    err = e.args[0] if e.args else None
    if isinstance(err, KafkaError):
        return dict(name=err.name(), fatal=err.fatal(), abortable=err.txn_requires_abort(), retriable=err.retriable())
    return dict(name=str(e), fatal=False, abortable=False, retriable=False)


def commit_abort(args):
    create(args, args.topic)
    p = producer(args, "txn-" + args.topic)
    p.begin_transaction()
    send(p, args.topic, ["c%d" % i for i in range(5)])
    p.commit_transaction(30)
    p.begin_transaction()
    send(p, args.topic, ["a%d" % i for i in range(5)])
    p.abort_transaction(30)
    p.begin_transaction()
    send(p, args.topic, ["d%d" % i for i in range(3)])
    p.commit_transaction(30)
    committed, lso = consume(args, args.topic, "read_committed", expect=8)
    emit(event="read_committed", values=committed, end=lso)
    uncommitted, hw = consume(args, args.topic, "read_uncommitted", expect=13)
    emit(event="read_uncommitted", values=uncommitted, end=hw)


def open_transaction(args):
    create(args, args.topic)
    p = producer(args, "txn-" + args.topic)
    p.begin_transaction()
    send(p, args.topic, ["before%d" % i for i in range(2)])
    p.commit_transaction(30)
    p.begin_transaction()
    send(p, args.topic, ["open%d" % i for i in range(3)])
    # The transaction stays open: the last stable offset holds at its first record.
    committed, lso = consume(args, args.topic, "read_committed", expect=3, seconds=4)
    emit(event="while_open_committed", values=committed, end=lso)
    uncommitted, hw = consume(args, args.topic, "read_uncommitted", expect=5)
    emit(event="while_open_uncommitted", values=uncommitted, end=hw)
    p.commit_transaction(30)
    committed, lso = consume(args, args.topic, "read_committed", expect=5)
    emit(event="after_commit", values=committed, end=lso)


def fencing(args):
    create(args, args.topic)
    txn = "txn-" + args.topic
    zombie = producer(args, txn)
    zombie.begin_transaction()
    send(zombie, args.topic, ["zombie%d" % i for i in range(3)])
    # A new instance with the same transactional.id: the zombie's open transaction is aborted.
    fresh = producer(args, txn)
    emit(event="fresh_initialized")
    try:
        zombie.produce(args.topic, value=b"zombie-late", partition=0)
        zombie.flush(10)
        zombie.commit_transaction(30)
        emit(event="zombie_commit", error=None)
    except KafkaException as e:
        emit(event="zombie_commit", error=error_name(e))
    fresh.begin_transaction()
    send(fresh, args.topic, ["fresh%d" % i for i in range(2)])
    fresh.commit_transaction(30)
    committed, lso = consume(args, args.topic, "read_committed", expect=2, seconds=6)
    emit(event="read_committed", values=committed, end=lso)


def timeout(args):
    create(args, args.topic)
    # librdkafka wants its socket and message timeouts within the transaction timeout.
    p = producer(args, "txn-" + args.topic, **{"transaction.timeout.ms": args.timeout_ms,
                                               "socket.timeout.ms": args.timeout_ms // 2,
                                               "message.timeout.ms": args.timeout_ms})
    p.begin_transaction()
    send(p, args.topic, ["late%d" % i for i in range(3)])
    # Longer than the transaction timeout plus the broker's cleanup interval.
    time.sleep(args.timeout_ms / 1000 * 3)
    # The coordinator aborted it: the records stay invisible to read_committed, and the end
    # offset (the last stable offset) has moved past them and their marker.
    committed, lso = consume(args, args.topic, "read_committed", seconds=2)
    emit(event="after_timeout", values=committed, end=lso)
    try:
        p.commit_transaction(30)
        emit(event="commit", error=None)
    except KafkaException as e:
        emit(event="commit", error=error_name(e))


def consume_transform_produce(args):
    """Reads `input`, writes its records upper-cased to `output` in transactions that also
    commit the consumer's offsets (send_offsets_to_transaction). The first transaction is
    aborted: neither its output nor its offsets may show. The second commits both."""
    source, sink, group = args.topic + "-in", args.topic + "-out", "ctp-" + args.topic
    create(args, source)
    create(args, sink)
    plain = Producer({"bootstrap.servers": args.bootstrap})
    for i in range(10):
        plain.produce(source, value=("r%d" % i).encode(), partition=0)
    plain.flush(30)

    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": group, "isolation.level": "read_committed",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([source])
    p = producer(args, "txn-" + args.topic)

    def transform_all():
        got = []
        deadline = time.time() + 30
        while len(got) < 10 and time.time() < deadline:
            m = consumer.poll(0.5)
            if m is None or m.error():
                continue
            got.append(m)
        p.begin_transaction()
        for m in got:
            p.produce(sink, value=m.value().decode().upper().encode(), partition=0)
        p.flush(30)  # in the log before the transaction ends (abort would purge unsent records)
        p.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
        return got

    first = transform_all()
    p.abort_transaction(30)
    committed = consumer.committed([TopicPartition(source, 0)], timeout=10)
    emit(event="after_abort", read=len(first), committed=committed[0].offset)
    # Back to the last committed position (none: the beginning) and again, committed this time.
    consumer.seek(TopicPartition(source, 0, 0))
    second = transform_all()
    p.commit_transaction(30)
    committed = consumer.committed([TopicPartition(source, 0)], timeout=10)
    emit(event="after_commit", read=len(second), committed=committed[0].offset)
    consumer.close()
    output, end = consume(args, sink, "read_committed", expect=10)
    emit(event="output", values=output, end=end)
    # A new member of the group starts from the committed offsets: nothing left to read.
    again = Consumer({"bootstrap.servers": args.bootstrap, "group.id": group, "isolation.level": "read_committed",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
    again.subscribe([source])
    seen = 0
    deadline = time.time() + 8
    while time.time() < deadline:
        m = again.poll(0.5)
        if m is not None and not m.error():
            seen += 1
    emit(event="restarted_member", read=seen)
    again.close()


def cluster(args):
    """Against a cluster, the topic made beforehand with 3 partitions led by different brokers:
    markers go to other brokers (WriteTxnMarkers) and the leaders ask the coordinator whether a
    partition is in the transaction (AddPartitionsToTxn v4). A third transaction is left open until
    `--wait-file` exists (the test kills the coordinator meanwhile), then committed."""
    txn = "txn-" + args.topic
    emit(event="transactional_id", id=txn)
    p = producer(args, txn)
    def send_all(prefix):
        for i in range(30):
            p.produce(args.topic, value=("%s%d" % (prefix, i)).encode(), partition=i % 3)
        p.flush(60)
    p.begin_transaction()
    send_all("one-")
    p.commit_transaction(60)
    p.begin_transaction()
    send_all("two-")
    p.abort_transaction(60)
    p.begin_transaction()
    send_all("three-")
    emit(event="open")
    deadline = time.time() + 120
    while not os.path.exists(args.wait_file) and time.time() < deadline:
        time.sleep(0.1)
    try:
        p.commit_transaction(120)
        emit(event="committed", error=None)
    except KafkaException as e:
        emit(event="committed", error=error_name(e))
    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "reader-" + uuid.uuid4().hex[:8],
                  "isolation.level": "read_committed", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.assign([TopicPartition(args.topic, i, 0) for i in range(3)])
    values = []
    deadline = time.time() + 60
    while time.time() < deadline and len(values) < 60:
        m = c.poll(0.2)
        if m is not None and not m.error():
            values.append(m.value().decode())
    # A little longer: nothing more may come.
    end = time.time() + 2
    while time.time() < end:
        m = c.poll(0.2)
        if m is not None and not m.error():
            values.append(m.value().decode())
    c.close()
    emit(event="read_committed", values=sorted(values))


SCENARIOS = {
    "cluster": cluster,
    "commit-abort": commit_abort,
    "open-transaction": open_transaction,
    "fencing": fencing,
    "timeout": timeout,
    "consume-transform-produce": consume_transform_produce,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--timeout-ms", type=int, default=2000)
    parser.add_argument("--wait-file", default="")
    args = parser.parse_args()
    SCENARIOS[args.scenario](args)
    emit(event="done")


if __name__ == "__main__":
    sys.exit(main())
