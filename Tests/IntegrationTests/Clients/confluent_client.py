"""The scenarios of scenarios.py driven through confluent-kafka (librdkafka)."""
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

import scenarios


class Client:
    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap})

    def produce(self, topic, messages, codec, idempotent, acks):
        producer = Producer({"bootstrap.servers": self.bootstrap, "compression.type": codec, "acks": acks,
                             "enable.idempotence": idempotent, "linger.ms": 5, "message.max.bytes": 2_000_000})
        offsets = {}
        errors = []

        def delivered(err, msg, index):
            if err is not None:
                errors.append(str(err))
            else:
                offsets[index] = msg.offset()

        for index, (k, v, h, ts) in enumerate(messages):
            producer.produce(topic, key=k, value=v, headers=h, timestamp=ts, partition=0,
                             on_delivery=lambda err, msg, index=index: delivered(err, msg, index))
            producer.poll(0)
        producer.flush(30)
        if errors or len(offsets) != len(messages):
            raise RuntimeError("delivery failed: %s" % errors[:3])
        return [offsets[i] for i in range(len(messages))]

    def consume(self, topic, offset, count, reset):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "sluice-interop",
                             "enable.auto.commit": False, "auto.offset.reset": reset,
                             "fetch.max.bytes": 16_000_000, "max.partition.fetch.bytes": 4_000_000})
        consumer.assign([TopicPartition(topic, 0, offset)])
        records = []
        deadline = time.time() + 30
        while len(records) < count and time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            records.append((msg.offset(), msg.key(), msg.value(), msg.headers(), msg.timestamp()[1]))
        consumer.close()
        return records

    def offset_for_time(self, topic, ts):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "sluice-interop",
                             "enable.auto.commit": False})
        found = consumer.offsets_for_times([TopicPartition(topic, 0, ts)], timeout=15)[0]
        consumer.close()
        return found.offset if found.offset >= 0 else None

    def _wait(self, futures):
        for future in futures.values():
            future.result(timeout=15)

    def create_topic(self, name, partitions, configs=None, replication=1):
        self._wait(self.admin.create_topics([NewTopic(name, partitions, replication, config=configs or {})]))

    def create_topic_error(self, name, partitions, replication=1):
        try:
            self.create_topic(name, partitions, replication=replication)
            return None
        except KafkaException as e:
            return e.args[0].name()

    def list_topics(self):
        return set(self.admin.list_topics(timeout=10).topics)

    def create_partitions(self, name, count):
        self._wait(self.admin.create_partitions([NewPartitions(name, count)]))

    def partition_count(self, name):
        return len(self.admin.list_topics(topic=name, timeout=10).topics[name].partitions)

    def delete_topic(self, name):
        self._wait(self.admin.delete_topics([name]))

    def close(self):
        pass


if __name__ == "__main__":
    sys.exit(scenarios.main(Client))
