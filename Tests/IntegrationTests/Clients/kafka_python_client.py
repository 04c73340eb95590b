"""The scenarios of scenarios.py driven through kafka-python."""
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewPartitions, NewTopic
from kafka.errors import KafkaError

import scenarios


class Client:
    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self._admin = None

    def admin(self):
        if self._admin is None:
            self._admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=15000)
        return self._admin

    def produce(self, topic, messages, codec, idempotent, acks):
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, compression_type=None if codec == "none" else codec,
                                 acks="all" if acks == -1 else acks, enable_idempotence=idempotent, linger_ms=5,
                                 max_request_size=2_000_000)
        futures = [producer.send(topic, key=k, value=v, headers=h, timestamp_ms=ts, partition=0)
                   for k, v, h, ts in messages]
        producer.flush(30)
        offsets = [f.get(timeout=30).offset for f in futures]
        producer.close()
        return offsets

    def consume(self, topic, offset, count, reset):
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False, group_id=None,
                                 auto_offset_reset=reset, max_partition_fetch_bytes=4_000_000,
                                 fetch_max_bytes=16_000_000)
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        records = []
        deadline = time.time() + 30
        while len(records) < count and time.time() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records += [(r.offset, r.key, r.value, r.headers, r.timestamp) for r in batch]
        consumer.close()
        return records

    def offset_for_time(self, topic, ts):
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        tp = TopicPartition(topic, 0)
        found = consumer.offsets_for_times({tp: ts})[tp]
        consumer.close()
        return found.offset if found is not None else None

    def create_topic(self, name, partitions, configs=None, replication=1):
        self.admin().create_topics([NewTopic(name, partitions, replication, topic_configs=configs or {})])

    def create_topic_error(self, name, partitions, replication=1):
        try:
            self.create_topic(name, partitions, replication=replication)
            return None
        except KafkaError as e:
            return type(e).__name__

    def list_topics(self):
        return set(self.admin().list_topics())

    def create_partitions(self, name, count):
        self.admin().create_partitions({name: NewPartitions(count)})

    def partition_count(self, name):
        return len(self.admin().describe_topics([name])[0]["partitions"])

    def delete_topic(self, name):
        self.admin().delete_topics([name])

    def close(self):
        if self._admin is not None:
            self._admin.close()


if __name__ == "__main__":
    sys.exit(scenarios.main(Client))
