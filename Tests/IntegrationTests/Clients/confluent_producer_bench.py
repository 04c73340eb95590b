"""confluent-kafka's producer at full speed, for comparison with `sluice bench produce`.

  confluent_producer_bench.py BOOTSTRAP TOPIC RECORDS RECORD_SIZE ACKS LINGER_MS BATCH_SIZE COMPRESSION

The usual librdkafka loop: produce() until the local queue is full, poll() to serve delivery
reports, flush() at the end. Prints one JSON object: records, seconds, recordsPerSecond, mbPerSecond
(MB = 2^20 bytes, as Kafka's perf tools and `sluice bench` count).
"""
import json
import os
import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic, records, size, acks, linger, batch, compression = sys.argv[1:9]
    records, size = int(records), int(size)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": acks, "linger.ms": int(linger),
                         "batch.size": int(batch), "compression.type": compression,
                         "queue.buffering.max.messages": 1_000_000, "queue.buffering.max.kbytes": 1_048_576})
    payload = os.urandom(size)
    failures = [0]

    def delivered(err, msg):
        if err is not None:
            failures[0] += 1

    start = time.perf_counter()
    for _ in range(records):
        while True:
            try:
                producer.produce(topic, payload, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.001)
        producer.poll(0)
    producer.flush(120)
    seconds = time.perf_counter() - start
    print(json.dumps({"records": records, "failed": failures[0], "seconds": seconds,
                      "recordsPerSecond": records / seconds, "mbPerSecond": records * size / 1048576 / seconds}))


if __name__ == "__main__":
    main()
