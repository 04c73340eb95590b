"""confluent-kafka (librdkafka) on the other side of the `sluice produce` / `sluice consume` tests.

  cli_interop.py produce BOOTSTRAP TOPIC KEY...   one record per key (value "v-KEY"), partitioned
                                                  with murmur2_random (the Java client's mapping);
                                                  prints {"key":..,"partition":..,"offset":..} lines
  cli_interop.py consume BOOTSTRAP TOPIC COUNT    reads COUNT records of every partition from the
                                                  start; prints {"partition","offset","key","value","headers"}
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition


def produce(bootstrap, topic, keys):
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random", "linger.ms": 5})
    results = []

    def delivered(err, msg):
        if err is not None:
            raise RuntimeError(str(err))
        results.append({"key": msg.key().decode(), "partition": msg.partition(), "offset": msg.offset()})

    for key in keys:
        producer.produce(topic, key=key.encode(), value=("v-" + key).encode(), headers=[("via", b"confluent")],
                         on_delivery=delivered)
        producer.poll(0)
    if producer.flush(30) != 0 or len(results) != len(keys):
        raise RuntimeError("not every record was delivered")
    for r in results:
        print(json.dumps(r))


def consume(bootstrap, topic, count):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "cli-interop", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest"})
    metadata = consumer.list_topics(topic, timeout=10)
    partitions = sorted(metadata.topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    got = []
    deadline = time.time() + 30
    while len(got) < count and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        got.append({"partition": msg.partition(), "offset": msg.offset(),
                    "key": msg.key().decode() if msg.key() is not None else None,
                    "value": msg.value().decode() if msg.value() is not None else None,
                    "headers": {k: v.decode() for k, v in (msg.headers() or [])}})
    consumer.close()
    for r in got:
        print(json.dumps(r))
    if len(got) < count:
        sys.exit("only %d of %d records arrived" % (len(got), count))


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        consume(sys.argv[2], sys.argv[3], int(sys.argv[4]))
