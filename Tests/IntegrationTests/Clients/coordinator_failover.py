"""A confluent-kafka group member for the coordinator-failover test (ClusterCoordinatorFailoverTests).

  coordinator_failover.py member BOOTSTRAP TOPIC GROUP STOP_FILE MARK_FILE [PROTOCOL]
      Consumes in GROUP and commits synchronously after every message until STOP_FILE appears;
      PROTOCOL is librdkafka's group.protocol, classic (the default) or consumer (KIP-848).
      Prints one JSON line per event, tagged with the phase (0 before MARK_FILE exists, 1 after):
        {"c": [partition, offset, phase]}     consumed
        {"k": [partition, next_offset, phase]} a commit the coordinator acknowledged
      and finally {"count", "commitFailures", "errors"}.
  coordinator_failover.py produce BOOTSTRAP TOPIC COUNT
      Produces COUNT messages with acks=all; prints {"delivered", "errors"}.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer


def member(bootstrap, topic, group, stop_file, mark_file, protocol="classic"):
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "topic.metadata.refresh.interval.ms": 1000}
    if protocol == "consumer":
        conf["group.protocol"] = "consumer"  # session and heartbeat timings come from the broker
    else:
        conf.update({"session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
    consumer = Consumer(conf)
    consumer.subscribe([topic])
    count, commit_failures, errors = 0, 0, []
    out = sys.stdout
    while not os.path.exists(stop_file):
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() != KafkaError._PARTITION_EOF and not msg.error().retriable():
                errors.append(str(msg.error()))
            continue
        phase = 1 if os.path.exists(mark_file) else 0
        out.write(json.dumps({"c": [msg.partition(), msg.offset(), phase]}) + "\n")
        count += 1
        try:
            consumer.commit(message=msg, asynchronous=False)
            # The phase when the acknowledgement arrived: 0 means before the coordinator was killed.
            phase = 1 if os.path.exists(mark_file) else 0
            out.write(json.dumps({"k": [msg.partition(), msg.offset() + 1, phase]}) + "\n")
        except KafkaException as e:
            # While the coordinator moves, commits fail (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
            # REBALANCE_IN_PROGRESS, a lost connection): the message is consumed again later.
            commit_failures += 1
            if not e.args[0].retriable() and e.args[0].code() not in (
                    KafkaError.REBALANCE_IN_PROGRESS, KafkaError.ILLEGAL_GENERATION, KafkaError.UNKNOWN_MEMBER_ID,
                    KafkaError.STALE_MEMBER_EPOCH, KafkaError.FENCED_MEMBER_EPOCH,
                    KafkaError._TRANSPORT, KafkaError._NO_OFFSET, KafkaError._ASSIGNMENT_LOST, KafkaError._DESTROY):
                errors.append("commit: " + str(e))
        out.flush()
    consumer.close()
    print(json.dumps({"count": count, "commitFailures": commit_failures, "errors": errors}))


def produce(bootstrap, topic, count):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "delivery.timeout.ms": 60000})
    stats = {"delivered": 0, "errors": []}

    def delivered(err, _msg):
        if err is not None:
            stats["errors"].append(str(err))
        else:
            stats["delivered"] += 1

    for i in range(int(count)):
        # Keyed, so that every partition gets some.
        producer.produce(topic, key=b"k-%d" % i, value=b"m-%d" % i, on_delivery=delivered)
        producer.poll(0)
    producer.flush(60)
    print(json.dumps(stats))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"member": member, "produce": produce}[command](*args)
