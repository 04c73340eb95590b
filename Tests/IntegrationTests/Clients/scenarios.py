"""Scenarios shared by the client scripts: each script wraps one Kafka client library in an
adapter with the same small interface, and these functions drive it and print what happened as
JSON lines, which the Swift integration tests check.

Messages are deterministic (see `message`), so the tests know what must come back.
"""
import argparse
import json
import sys
import time
import zlib


def emit(**fields):
    print(json.dumps(fields), flush=True)


def message(i, size, base_ts):
    """Key, value, headers and timestamp of message i."""
    seed = ("v%d-" % i).encode()
    value = (seed * (size // len(seed) + 1))[:size]
    return ("k%d" % i).encode(), value, [("h", str(i).encode()), ("origin", b"sluice-test")], base_ts + i


def describe(record):
    """What the tests compare: offset, key, value length and checksum, headers, timestamp."""
    offset, key, value, headers, ts = record
    return dict(event="record", offset=offset, key=key.decode() if key is not None else None,
                length=len(value) if value is not None else -1,
                crc=zlib.crc32(value) if value is not None else 0,
                headers=[[k, v.decode() if v is not None else None] for k, v in (headers or [])],
                ts=ts)


def roundtrip(client, args):
    messages = [message(i, args.size, args.ts) for i in range(args.count)]
    offsets = client.produce(args.topic, messages, codec=args.codec, idempotent=args.idempotent, acks=args.acks)
    emit(event="produced", offsets=offsets)
    # The values the tests expect, computed here from the same generator.
    emit(event="expected", crcs=[zlib.crc32(m[1]) for m in messages])
    records = client.consume(args.topic, offset=offsets[0], count=args.count, reset="earliest")
    for record in records:
        emit(**describe(record))
    emit(event="done", consumed=len(records))


def times(client, args):
    messages = [("k%d" % i).encode() for i in range(10)]
    batch = [(key, b"payload", [], args.ts + i * 1000) for i, key in enumerate(messages)]
    offsets = client.produce(args.topic, batch, codec=args.codec, idempotent=False, acks=1)
    emit(event="produced", offsets=offsets)
    emit(event="offset_for_time", offset=client.offset_for_time(args.topic, args.ts + 4500),
         beyond=client.offset_for_time(args.topic, args.ts + 100000))


def admin(client, args):
    name = args.topic
    client.create_topic(name, partitions=3, configs={"retention.ms": "3600000"})
    emit(event="created", topics=sorted(t for t in client.list_topics() if t == name))
    emit(event="duplicate", error=client.create_topic_error(name, partitions=1))
    emit(event="bad_replication", error=client.create_topic_error(name + "-rf", partitions=1, replication=3))
    client.create_partitions(name, 5)
    emit(event="partitions", count=client.partition_count(name))
    client.delete_topic(name)
    deadline = time.time() + 10
    while name in client.list_topics() and time.time() < deadline:
        time.sleep(0.2)
    emit(event="deleted", present=name in client.list_topics())


def reset(client, args):
    batch = [message(i, 10, args.ts) for i in range(5)]
    offsets = client.produce(args.topic, batch, codec="none", idempotent=False, acks=1)
    emit(event="produced", offsets=offsets)
    records = client.consume(args.topic, offset=offsets[-1] + 1000, count=5, reset="earliest")
    emit(event="earliest", offsets=[r[0] for r in records])


def main(client_factory):
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["roundtrip", "times", "admin", "reset"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--codec", default="none")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--acks", type=int, default=1)
    parser.add_argument("--idempotent", action="store_true")
    parser.add_argument("--ts", type=int, default=int(time.time() * 1000) - 60000)
    args = parser.parse_args()
    client = client_factory(args.bootstrap)
    try:
        {"roundtrip": roundtrip, "times": times, "admin": admin, "reset": reset}[args.scenario](client, args)
    finally:
        client.close()
    return 0
