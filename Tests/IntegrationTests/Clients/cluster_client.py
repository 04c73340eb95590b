"""confluent-kafka against a multi-broker Sluice cluster, for ClusterProcessTests.

  cluster_client.py create BOOTSTRAP TOPIC PARTITIONS RF [MIN_ISR]
  cluster_client.py describe BOOTSTRAP [TOPIC]      -> {"controller": id, "brokers": [...], "partitions": {p: [leader, replicas, isr]}}
  cluster_client.py produce BOOTSTRAP TOPIC SECONDS [STOP_FILE [DELIVERED_FILE]]
                                                     -> produces until SECONDS pass or STOP file appears;
                                                        prints {"sent", "delivered", "errors": [...]}; the values
                                                        it was told were delivered go to DELIVERED_FILE, one a line
  cluster_client.py check BOOTSTRAP TOPIC DELIVERED_FILE -> reads every partition from the beginning until each
                                                        delivered value is seen (60 s at most);
                                                        {"delivered", "found", "missing": [first 20]}
  cluster_client.py consume BOOTSTRAP TOPIC COUNT    -> {"count", "errors"} reading from the beginning
  cluster_client.py follow BOOTSTRAP TOPIC STOP_FILE -> consumes (a group) until STOP_FILE appears; {"count", "errors"}

SLUICE_CLIENT_SECURITY (a JSON object of Kafka client properties) secures every client.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic

# Client security settings (Kafka's property names) for secured clusters, as a JSON object.
SECURITY = json.loads(os.environ.get("SLUICE_CLIENT_SECURITY", "{}"))


def create(bootstrap, topic, partitions, rf, min_isr=None):
    admin = AdminClient({**SECURITY, "bootstrap.servers": bootstrap})
    config = {"min.insync.replicas": min_isr} if min_isr else {}
    for future in admin.create_topics([NewTopic(topic, int(partitions), int(rf), config=config)]).values():
        future.result(timeout=30)
    print(json.dumps({"created": topic}))


def describe(bootstrap, topic=None):
    admin = AdminClient({**SECURITY, "bootstrap.servers": bootstrap})
    md = admin.list_topics(topic=topic, timeout=10)
    out = {"controller": md.controller_id, "brokers": sorted(md.brokers.keys()), "partitions": {}}
    if topic and topic in md.topics:
        for p in md.topics[topic].partitions.values():
            out["partitions"][str(p.id)] = [p.leader, list(p.replicas), list(p.isrs)]
    print(json.dumps(out))


def produce(bootstrap, topic, seconds, stop_file=None, delivered_file=None):
    # Retries are unlimited within delivery.timeout.ms: a leader move is retriable.
    producer = Producer({**SECURITY, "bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                         "delivery.timeout.ms": 60000, "retry.backoff.ms": 100,
                         "topic.metadata.refresh.interval.ms": 1000})
    stats = {"sent": 0, "delivered": 0, "errors": []}
    record = open(delivered_file, "w") if delivered_file else None

    def delivered(err, msg):
        if err is not None:
            stats["errors"].append(str(err))
        else:
            stats["delivered"] += 1
            if record:
                record.write(msg.value().decode() + "\n")

    deadline = time.time() + float(seconds)
    i = 0
    while time.time() < deadline and not (stop_file and os.path.exists(stop_file)):
        producer.produce(topic, value=b"m-%d" % i, on_delivery=delivered)
        stats["sent"] += 1
        i += 1
        producer.poll(0.01 if i % 20 == 0 else 0)
        if i % 20 == 0:
            time.sleep(0.01)
    producer.flush(60)
    if record:
        record.close()
    print(json.dumps(stats))


def check(bootstrap, topic, delivered_file):
    """Every value the producer was told was delivered must be readable (no group: all partitions)."""
    from confluent_kafka import TopicPartition
    wanted = set(line.strip() for line in open(delivered_file) if line.strip())
    consumer = Consumer({**SECURITY, "bootstrap.servers": bootstrap, "group.id": "cluster-check-%d" % os.getpid(),
                         "enable.auto.commit": False, "enable.partition.eof": False})
    md = consumer.list_topics(topic, timeout=30)
    consumer.assign([TopicPartition(topic, p, 0) for p in md.topics[topic].partitions])
    found = set()
    deadline = time.time() + 60
    while len(found) < len(wanted) and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        value = msg.value().decode()
        if value in wanted:
            found.add(value)
    consumer.close()
    missing = sorted(wanted - found, key=lambda v: int(v.split("-")[1]))
    print(json.dumps({"delivered": len(wanted), "found": len(found), "missing": missing[:20]}))


def follow(bootstrap, topic, stop_file):
    """Consumes with a group until STOP_FILE appears (then 3 s more); checks offsets never go back."""
    consumer = Consumer({**SECURITY, "bootstrap.servers": bootstrap, "group.id": "cluster-follow-%d" % os.getpid(),
                         "auto.offset.reset": "earliest", "enable.auto.commit": True})
    consumer.subscribe([topic])
    got, errors, last = 0, [], {}
    stop_at = None
    while stop_at is None or time.time() < stop_at:
        if stop_at is None and os.path.exists(stop_file):
            stop_at = time.time() + 3
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() != KafkaError._PARTITION_EOF and not msg.error().retriable():
                errors.append(str(msg.error()))
            continue
        p = msg.partition()
        if p in last and msg.offset() <= last[p]:
            errors.append("partition %d went back from %d to %d" % (p, last[p], msg.offset()))
        last[p] = msg.offset()
        got += 1
    consumer.close()
    print(json.dumps({"count": got, "errors": errors}))


def consume(bootstrap, topic, count):
    consumer = Consumer({**SECURITY, "bootstrap.servers": bootstrap, "group.id": "cluster-test-%d" % os.getpid(),
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    got, errors = 0, []
    deadline = time.time() + 60
    while got < int(count) and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() != KafkaError._PARTITION_EOF:
                errors.append(str(msg.error()))
            continue
        got += 1
    consumer.close()
    print(json.dumps({"count": got, "errors": errors}))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"create": create, "describe": describe, "produce": produce, "consume": consume, "follow": follow,
     "check": check}[command](*args)
