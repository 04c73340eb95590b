"""Transactions through kafka-python and aiokafka (pure-Python clients): commit and abort as
their own read_committed consumers see them, and fencing by a second producer with the same
transactional id. Prints JSON lines (scenarios.py's `emit`) for TransactionInteropTests.

    python3 transactions_python.py kafka-python --bootstrap 127.0.0.1:9092 --topic t
"""
import argparse
import asyncio
import sys
import time

from scenarios import emit


def kafka_python(args):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap)
    admin.create_topics([NewTopic(args.topic, 1, 1)])
    admin.close()

    def producer():
        p = KafkaProducer(bootstrap_servers=args.bootstrap, transactional_id="kp-" + args.topic)
        p.init_transactions()
        return p

    p = producer()
    for prefix, commit in (("c", True), ("a", False), ("d", True)):
        p.begin_transaction()
        for i in range(3):
            p.send(args.topic, value=("%s%d" % (prefix, i)).encode(), partition=0)
        p.flush()
        if commit:
            p.commit_transaction()
        else:
            p.abort_transaction()
    # A second instance fences the first.
    fresh = producer()
    try:
        p.begin_transaction()
        p.send(args.topic, value=b"zombie", partition=0)
        p.flush()
        p.commit_transaction()
        emit(event="zombie", error=None)
    except Exception as e:
        emit(event="zombie", error=type(e).__name__, message=str(e))
    fresh.close()
    p.close()

    c = KafkaConsumer(bootstrap_servers=args.bootstrap, isolation_level="read_committed",
                      auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=3000)
    c.assign([TopicPartition(args.topic, 0)])
    c.seek_to_beginning()
    values = []
    deadline = time.time() + 20
    while time.time() < deadline and len(values) < 6:
        for records in c.poll(timeout_ms=500).values():
            values += [r.value.decode() for r in records]
    c.close()
    emit(event="read_committed", values=values)


async def aiokafka_scenario(args):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import KafkaError

    admin = AIOKafkaAdminClient(bootstrap_servers=args.bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(args.topic, 1, 1)])
    await admin.close()

    async def producer():
        p = AIOKafkaProducer(bootstrap_servers=args.bootstrap, transactional_id="aio-" + args.topic)
        await p.start()
        return p

    p = await producer()
    for prefix, commit in (("c", True), ("a", False), ("d", True)):
        await p.begin_transaction()
        for i in range(3):
            await p.send_and_wait(args.topic, value=("%s%d" % (prefix, i)).encode(), partition=0)
        if commit:
            await p.commit_transaction()
        else:
            await p.abort_transaction()
    fresh = await producer()
    try:
        await p.begin_transaction()
        await p.send_and_wait(args.topic, value=b"zombie", partition=0)
        await p.commit_transaction()
        emit(event="zombie", error=None)
    except KafkaError as e:
        emit(event="zombie", error=type(e).__name__)
    await fresh.stop()
    try:
        await p.stop()
    except KafkaError:
        pass

    c = AIOKafkaConsumer(bootstrap_servers=args.bootstrap, isolation_level="read_committed",
                         auto_offset_reset="earliest", enable_auto_commit=False)
    await c.start()
    tp = TopicPartition(args.topic, 0)
    c.assign([tp])
    await c.seek_to_beginning(tp)
    values = []
    deadline = time.time() + 20
    while time.time() < deadline and len(values) < 6:
        for records in (await c.getmany(timeout_ms=500)).values():
            values += [r.value.decode() for r in records]
    await c.stop()
    emit(event="read_committed", values=values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("client", choices=["kafka-python", "aiokafka"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    args = parser.parse_args()
    if args.client == "kafka-python":
        kafka_python(args)
    else:
        asyncio.run(aiokafka_scenario(args))
    emit(event="done")


if __name__ == "__main__":
    sys.exit(main())
