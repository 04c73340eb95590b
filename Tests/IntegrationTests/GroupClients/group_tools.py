"""Helpers for the consumer-group interop tests, printing JSON lines:

    produce   --bootstrap B --topic T --partitions N --start S --count C
              produces values "m<S>".."m<S+C-1>", message i to partition i % N (confluent-kafka)
    lag       --client X --bootstrap B --group G --topic T
              {"partition": p, "committed": c, "end": e, "lag": e - c} per partition, through
              the client's own admin and consumer APIs (OffsetFetch and ListOffsets)
    describe  --bootstrap B --group G
              confluent-kafka's AdminClient.describe_consumer_groups: the group's type, state and
              members with their partitions (ConsumerGroupDescribe, or DescribeGroups for classic)
    list      --bootstrap B
              confluent-kafka's AdminClient.list_consumer_groups: each group's id, type and state
    offsets-topic --bootstrap B
              reads __consumer_offsets from the start, as Burrow does, decoding keys and values
              by hand from Kafka's schemas (not with Sluice's code), and prints the last
              committed offset per group and partition and the last group metadata per group
"""
import argparse
import asyncio
import json
import struct
import sys
import time


def emit(**fields):
    print(json.dumps(fields), flush=True)


def produce(args):
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
    failures = []
    for i in range(args.start, args.start + args.count):
        producer.produce(args.topic, value=("m%d" % i).encode(), partition=i % args.partitions,
                         on_delivery=lambda err, msg: failures.append(str(err)) if err else None)
    producer.flush(30)
    if failures:
        sys.exit("delivery failed: %s" % failures[:3])
    emit(event="produced", count=args.count)


def lag_confluent(args, partitions):
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient, OffsetSpec
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    request = ConsumerGroupTopicPartitions(args.group, [TopicPartition(args.topic, p) for p in partitions])
    committed = {tp.partition: tp.offset for tp in admin.list_consumer_group_offsets([request])[args.group].result().topic_partitions}
    ends = admin.list_offsets({TopicPartition(args.topic, p): OffsetSpec.latest() for p in partitions})
    end = {tp.partition: f.result().offset for tp, f in ends.items()}
    return committed, end


def lag_kafka_python(args, partitions):
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap)
    offsets = admin.list_group_offsets(args.group)
    if args.group in offsets:  # kafka-python 3 answers per group
        offsets = offsets[args.group]
    committed = {tp.partition: om.offset for tp, om in offsets.items() if tp.topic == args.topic}
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap)
    end = {tp.partition: o for tp, o in consumer.end_offsets([TopicPartition(args.topic, p) for p in partitions]).items()}
    consumer.close()
    admin.close()
    return committed, end


def lag_aiokafka(args, partitions):
    async def run():
        from aiokafka import AIOKafkaConsumer, TopicPartition
        from aiokafka.admin import AIOKafkaAdminClient
        admin = AIOKafkaAdminClient(bootstrap_servers=args.bootstrap)
        await admin.start()
        offsets = await admin.list_consumer_group_offsets(args.group)
        await admin.close()
        committed = {tp.partition: om.offset for tp, om in offsets.items() if tp.topic == args.topic}
        consumer = AIOKafkaConsumer(bootstrap_servers=args.bootstrap)
        await consumer.start()
        ends = await consumer.end_offsets([TopicPartition(args.topic, p) for p in partitions])
        await consumer.stop()
        return committed, {tp.partition: o for tp, o in ends.items()}
    return asyncio.run(run())


def lag(args):
    partitions = list(range(args.partitions))
    committed, end = {"confluent": lag_confluent, "kafka_python": lag_kafka_python,
                      "aiokafka": lag_aiokafka}[args.client](args, partitions)
    for p in partitions:
        c = committed.get(p, -1)
        emit(event="lag", partition=p, committed=c, end=end[p], lag=end[p] - (c if c >= 0 else 0))


def describe(args):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    d = admin.describe_consumer_groups([args.group], request_timeout=20)[args.group].result()
    emit(event="group", group=d.group_id, type=d.type.name, state=d.state.name, assignor=d.partition_assignor,
         members=[dict(member_id=m.member_id, client_id=m.client_id,
                       partitions=sorted(tp.partition for tp in m.assignment.topic_partitions),
                       target=sorted(tp.partition for tp in (m.target_assignment.topic_partitions
                                                             if getattr(m, "target_assignment", None) else [])))
                  for m in d.members])


def list_groups(args):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    result = admin.list_consumer_groups(request_timeout=20).result()
    for g in result.valid:
        emit(event="listed", group=g.group_id, type=g.type.name, state=g.state.name)


def read_string(buf, pos):
    (n,) = struct.unpack_from(">h", buf, pos)
    pos += 2
    if n < 0:
        return None, pos
    return buf[pos:pos + n].decode(), pos + n


def read_bytes(buf, pos):
    (n,) = struct.unpack_from(">i", buf, pos)
    pos += 4
    if n < 0:
        return None, pos
    return buf[pos:pos + n], pos + n


def decode_offset_value(value):
    (version,) = struct.unpack_from(">h", value, 0)
    pos = 2
    (offset,) = struct.unpack_from(">q", value, pos)
    pos += 8
    if version == 3:
        (epoch,) = struct.unpack_from(">i", value, pos)
        pos += 4
    elif version in (0, 1):
        epoch = -1
    else:
        raise ValueError("offset value version %d" % version)
    metadata, pos = read_string(value, pos)
    (commit_ts,) = struct.unpack_from(">q", value, pos)
    return dict(version=version, offset=offset, leader_epoch=epoch, metadata=metadata, commit_timestamp=commit_ts)


def decode_group_value(value):
    (version,) = struct.unpack_from(">h", value, 0)
    if version not in (0, 1, 2, 3):
        raise ValueError("group metadata value version %d" % version)
    pos = 2
    protocol_type, pos = read_string(value, pos)
    (generation,) = struct.unpack_from(">i", value, pos)
    pos += 4
    protocol, pos = read_string(value, pos)
    leader, pos = read_string(value, pos)
    if version >= 2:
        pos += 8
    (count,) = struct.unpack_from(">i", value, pos)
    pos += 4
    members = []
    for _ in range(count):
        member_id, pos = read_string(value, pos)
        if version >= 3:
            _, pos = read_string(value, pos)
        client_id, pos = read_string(value, pos)
        client_host, pos = read_string(value, pos)
        if version >= 1:
            pos += 4
        pos += 4
        _, pos = read_bytes(value, pos)
        assignment, pos = read_bytes(value, pos)
        members.append(dict(member_id=member_id, client_id=client_id, client_host=client_host,
                            assignment_bytes=len(assignment or b"")))
    return dict(version=version, protocol_type=protocol_type, generation=generation, protocol=protocol,
                leader=leader, members=members)


def offsets_topic(args):
    from kafka import KafkaConsumer, TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, enable_auto_commit=False)
    partitions = [TopicPartition("__consumer_offsets", p) for p in consumer.partitions_for_topic("__consumer_offsets")]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    ends = consumer.end_offsets(partitions)
    offsets, groups = {}, {}
    deadline = time.time() + 30
    while any(consumer.position(tp) < ends[tp] for tp in partitions) and time.time() < deadline:
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                (key_version,) = struct.unpack_from(">h", r.key, 0)
                if key_version in (0, 1):
                    group, pos = read_string(r.key, 2)
                    topic, pos = read_string(r.key, pos)
                    (partition,) = struct.unpack_from(">i", r.key, pos)
                    k = (group, topic, partition)
                    if r.value is None:
                        offsets.pop(k, None)
                    else:
                        offsets[k] = decode_offset_value(r.value)
                elif key_version == 2:
                    group, _ = read_string(r.key, 2)
                    if r.value is None:
                        groups.pop(group, None)
                    else:
                        groups[group] = decode_group_value(r.value)
    consumer.close()
    for (group, topic, partition), v in sorted(offsets.items()):
        emit(event="offset", group=group, topic=topic, partition=partition, **v)
    for group, v in sorted(groups.items()):
        emit(event="group", group=group, **v)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["produce", "lag", "offsets-topic", "describe", "list"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic")
    parser.add_argument("--group")
    parser.add_argument("--client", default="confluent")
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=0)
    args = parser.parse_args()
    {"produce": produce, "lag": lag, "offsets-topic": offsets_topic, "describe": describe,
     "list": list_groups}[args.command](args)


if __name__ == "__main__":
    main()
