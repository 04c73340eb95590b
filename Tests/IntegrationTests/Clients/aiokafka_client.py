"""The scenarios of scenarios.py driven through aiokafka (each call runs its own event loop)."""
import asyncio
import sys
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from kafka.errors import for_code

import scenarios


class Client:
    def __init__(self, bootstrap):
        self.bootstrap = bootstrap

    def produce(self, topic, messages, codec, idempotent, acks):
        async def run():
            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap,
                                        compression_type=None if codec == "none" else codec,
                                        acks="all" if acks == -1 or idempotent else acks,
                                        enable_idempotence=idempotent, linger_ms=5, max_request_size=2_000_000)
            await producer.start()
            try:
                futures = [await producer.send(topic, value=v, key=k, partition=0, timestamp_ms=ts, headers=h)
                           for k, v, h, ts in messages]
                return [(await f).offset for f in futures]
            finally:
                await producer.stop()
        return asyncio.run(run())

    def consume(self, topic, offset, count, reset):
        async def run():
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False, group_id=None,
                                        auto_offset_reset=reset, max_partition_fetch_bytes=4_000_000,
                                        fetch_max_bytes=16_000_000)
            await consumer.start()
            try:
                tp = TopicPartition(topic, 0)
                consumer.assign([tp])
                consumer.seek(tp, offset)
                records = []
                deadline = time.time() + 30
                while len(records) < count and time.time() < deadline:
                    for batch in (await consumer.getmany(timeout_ms=500)).values():
                        records += [(r.offset, r.key, r.value, list(r.headers), r.timestamp) for r in batch]
                return records
            finally:
                await consumer.stop()
        return asyncio.run(run())

    def offset_for_time(self, topic, ts):
        async def run():
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
            await consumer.start()
            try:
                tp = TopicPartition(topic, 0)
                found = (await consumer.offsets_for_times({tp: ts}))[tp]
                return found.offset if found is not None else None
            finally:
                await consumer.stop()
        return asyncio.run(run())

    def _admin(self, action):
        async def run():
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
            await admin.start()
            try:
                return await action(admin)
            finally:
                await admin.close()
        return asyncio.run(run())

    def create_topic(self, name, partitions, configs=None, replication=1):
        error = self.create_topic_error(name, partitions, configs=configs, replication=replication)
        if error is not None:
            raise RuntimeError(error)

    def create_topic_error(self, name, partitions, configs=None, replication=1):
        async def create(admin):
            return await admin.create_topics([NewTopic(name, partitions, replication, topic_configs=configs or {})])
        response = self._admin(create)
        code = response.topic_errors[0][1]
        return None if code == 0 else for_code(code).__name__

    def list_topics(self):
        return set(self._admin(lambda admin: admin.list_topics()))

    def create_partitions(self, name, count):
        async def grow(admin):
            return await admin.create_partitions({name: NewPartitions(count)})
        self._admin(grow)

    def partition_count(self, name):
        async def describe(admin):
            return await admin.describe_topics([name])
        return len(self._admin(describe)[0]["partitions"])

    def delete_topic(self, name):
        async def delete(admin):
            return await admin.delete_topics([name])
        self._admin(delete)

    def close(self):
        pass


if __name__ == "__main__":
    sys.exit(scenarios.main(Client))
