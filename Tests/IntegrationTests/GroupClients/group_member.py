"""One member of a consumer group, driven by one of the Python Kafka clients.

Subscribes to a topic, and for each record commits offset+1 synchronously before reporting it,
so that a reported record is a committed one. A record whose commit fails (the group is
rebalancing) is not reported: the consumer seeks back to it, and whoever owns the partition
next consumes it again. Prints JSON lines:

    {"event": "assigned", "partitions": [...]}     the member's partitions after every change
    {"event": "record", "partition": p, "offset": o, "value": "..."}
    {"event": "stopped"}                           after a clean close (which leaves the group)

With --protocol consumer (confluent-kafka only) the member uses KIP-848's protocol
(group.protocol=consumer): the broker assigns, and rebalances are incremental.

SIGTERM closes the consumer cleanly; SIGKILL is a crash.
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time

stopping = False


def emit(**fields):
    print(json.dumps(fields), flush=True)


def on_term(*_):
    global stopping
    stopping = True


class Owned:
    """The member's partitions, reported after each change (eager or incremental)."""

    def __init__(self):
        self.partitions = set()

    def add(self, partitions):
        self.partitions |= set(partitions)
        emit(event="assigned", partitions=sorted(self.partitions))

    def remove(self, partitions):
        self.partitions -= set(partitions)
        emit(event="assigned", partitions=sorted(self.partitions))


def run_confluent(args):
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    conf = {"bootstrap.servers": args.bootstrap, "group.id": args.group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "topic.metadata.refresh.interval.ms": 1000}
    if args.protocol == "consumer":
        # KIP-848: the broker assigns and sets the session and heartbeat timings; librdkafka
        # refuses the classic settings with this protocol.
        conf["group.protocol"] = "consumer"
        if args.assignor:
            conf["group.remote.assignor"] = args.assignor
    else:
        conf.update({"session.timeout.ms": args.session_ms, "heartbeat.interval.ms": args.heartbeat_ms})
        if args.assignor:
            conf["partition.assignment.strategy"] = args.assignor
    if args.instance:
        conf["group.instance.id"] = args.instance
    consumer = Consumer(conf)
    owned = Owned()
    consumer.subscribe([args.topic],
                       on_assign=lambda c, ps: owned.add(p.partition for p in ps),
                       on_revoke=lambda c, ps: owned.remove(p.partition for p in ps),
                       on_lost=lambda c, ps: owned.remove(p.partition for p in ps))
    while not stopping:
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            continue
        try:
            consumer.commit(offsets=[TopicPartition(msg.topic(), msg.partition(), msg.offset() + 1)], asynchronous=False)
        except KafkaException as e:
            emit(event="commit_failed", partition=msg.partition(), offset=msg.offset(), error=str(e))
            try:
                consumer.seek(TopicPartition(msg.topic(), msg.partition(), msg.offset()))
            except KafkaException:
                pass
            continue
        emit(event="record", partition=msg.partition(), offset=msg.offset(), value=msg.value().decode())
    consumer.close()
    emit(event="stopped")


def kafka_python_assignors(name):
    from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
    table = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor,
             "sticky": StickyPartitionAssignor, "cooperative-sticky": CooperativeStickyAssignor}
    return tuple(table[n] for n in name.split(","))


def run_kafka_python(args):
    from kafka import KafkaConsumer, TopicPartition
    from kafka.consumer.subscription_state import ConsumerRebalanceListener
    from kafka.errors import KafkaError
    from kafka.structs import OffsetAndMetadata

    owned = Owned()

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            owned.remove(tp.partition for tp in revoked)

        def on_partitions_assigned(self, assigned):
            owned.add(tp.partition for tp in assigned)

    options = dict(bootstrap_servers=args.bootstrap, group_id=args.group, auto_offset_reset="earliest",
                   enable_auto_commit=False, session_timeout_ms=args.session_ms,
                   heartbeat_interval_ms=args.heartbeat_ms, metadata_max_age_ms=1000)
    if args.assignor:
        options["partition_assignment_strategy"] = kafka_python_assignors(args.assignor)
    if args.instance:
        options["group_instance_id"] = args.instance
    consumer = KafkaConsumer(**options)
    # Learn the topic's partitions before joining. Otherwise kafka-python takes part in its
    # first rebalance without them (an empty assignment) and rejoins once its metadata arrives;
    # twice in about ten loaded runs a lone kafka-python member stayed with that empty
    # assignment for 30 s without logging an error (not diagnosed; the coordinator answered
    # every request). Joining with the metadata known avoids that first empty round.
    consumer.partitions_for_topic(args.topic)
    consumer.subscribe([args.topic], listener=Listener())
    while not stopping:
        for tp, records in consumer.poll(timeout_ms=200, max_records=1).items():
            for msg in records:
                try:
                    consumer.commit({tp: OffsetAndMetadata(msg.offset + 1, "", -1)})
                except KafkaError as e:
                    emit(event="commit_failed", partition=msg.partition, offset=msg.offset, error=repr(e))
                    if tp in consumer.assignment():
                        consumer.seek(tp, msg.offset)
                    continue
                emit(event="record", partition=msg.partition, offset=msg.offset, value=msg.value.decode())
    consumer.close(autocommit=False)
    emit(event="stopped")


async def run_aiokafka(args):
    from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
    from aiokafka.coordinator.assignors.range import RangePartitionAssignor
    from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from aiokafka.errors import KafkaError

    owned = Owned()

    class Listener(ConsumerRebalanceListener):
        async def on_partitions_revoked(self, revoked):
            owned.remove(tp.partition for tp in revoked)

        async def on_partitions_assigned(self, assigned):
            owned.add(tp.partition for tp in assigned)

    options = dict(bootstrap_servers=args.bootstrap, group_id=args.group, auto_offset_reset="earliest",
                   enable_auto_commit=False, session_timeout_ms=args.session_ms,
                   heartbeat_interval_ms=args.heartbeat_ms, metadata_max_age_ms=1000)
    if args.assignor:
        table = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}
        options["partition_assignment_strategy"] = tuple(table[n] for n in args.assignor.split(","))
    if args.instance:
        options["group_instance_id"] = args.instance
    consumer = AIOKafkaConsumer(**options)
    consumer.subscribe([args.topic], listener=Listener())
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, on_term)
    await consumer.start()
    while not stopping:
        batches = await consumer.getmany(timeout_ms=200, max_records=1)
        for tp, records in batches.items():
            for msg in records:
                try:
                    await consumer.commit({tp: msg.offset + 1})
                except KafkaError as e:
                    emit(event="commit_failed", partition=msg.partition, offset=msg.offset, error=repr(e))
                    if tp in consumer.assignment():
                        consumer.seek(tp, msg.offset)
                    continue
                emit(event="record", partition=msg.partition, offset=msg.offset, value=msg.value.decode())
    await consumer.stop()
    emit(event="stopped")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", required=True, choices=["confluent", "kafka_python", "aiokafka"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--assignor", help="classic: partition.assignment.strategy; consumer: group.remote.assignor")
    parser.add_argument("--protocol", choices=["classic", "consumer"], default="classic",
                        help="group.protocol (confluent-kafka only)")
    parser.add_argument("--instance")
    parser.add_argument("--session-ms", type=int, default=3000)
    parser.add_argument("--heartbeat-ms", type=int, default=300)
    args = parser.parse_args()
    # The clients' own logs (joins, assignments, errors) go to stderr, for post-mortems.
    logging.basicConfig(level=logging.DEBUG if os.environ.get("GROUP_MEMBER_DEBUG") else logging.INFO,
                        stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A parent may start us with signals blocked (Foundation's Process inherits the test
    # runner's mask): unblock SIGTERM, or a clean stop never arrives.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, on_term)
    if args.client == "confluent":
        run_confluent(args)
    elif args.client == "kafka_python":
        run_kafka_python(args)
    else:
        asyncio.run(run_aiokafka(args))


if __name__ == "__main__":
    main()
