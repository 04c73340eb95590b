"""confluent-kafka's transactional producer beside its idempotent producer, in one run.

  transactional_producer_bench.py BOOTSTRAP TOPIC RECORDS RECORD_SIZE TXN_SIZES...

TXN_SIZES: records per transaction, 0 for the idempotent producer (no transactions), e.g.
`0 100 1000 10000`. Each mode produces RECORDS records of RECORD_SIZE bytes to TOPIC (acks=all,
linger.ms=5) and prints one JSON line: mode, records, seconds, recordsPerSecond, transactions.
"""
import json
import os
import sys
import time
import uuid

from confluent_kafka import Producer


def run(bootstrap, topic, records, size, txn_size):
    config = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "enable.idempotence": True,
              "queue.buffering.max.messages": 1_000_000, "queue.buffering.max.kbytes": 1_048_576}
    if txn_size > 0:
        config["transactional.id"] = "bench-" + uuid.uuid4().hex[:8]
    producer = Producer(config)
    if txn_size > 0:
        producer.init_transactions(60)
    # Connections and metadata before the clock starts, in both modes.
    producer.list_topics(topic, timeout=30)
    payload = os.urandom(size)
    failures = [0]

    def delivered(err, msg):
        if err is not None:
            failures[0] += 1

    transactions = 0
    start = time.perf_counter()
    sent = 0
    while sent < records:
        chunk = min(txn_size, records - sent) if txn_size > 0 else records
        if txn_size > 0:
            producer.begin_transaction()
        for _ in range(chunk):
            while True:
                try:
                    producer.produce(topic, payload, on_delivery=delivered)
                    break
                except BufferError:
                    producer.poll(0.001)
            producer.poll(0)
        if txn_size > 0:
            producer.commit_transaction(120)  # flushes first
            transactions += 1
        sent += chunk
    producer.flush(120)
    seconds = time.perf_counter() - start
    return {"mode": "idempotent" if txn_size == 0 else "transactions of %d" % txn_size, "records": records,
            "failed": failures[0], "seconds": round(seconds, 2), "recordsPerSecond": round(records / seconds),
            "transactions": transactions}


def main():
    bootstrap, topic, records, size = sys.argv[1:5]
    for txn_size in [int(s) for s in sys.argv[5:]]:
        print(json.dumps(run(bootstrap, topic, int(records), int(size), txn_size)), flush=True)


if __name__ == "__main__":
    main()
