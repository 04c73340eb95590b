#!/usr/bin/env python3
"""Builds record batches offline with kafka-python's and aiokafka's own batch builders, one file
per library and codec: <library>-<codec>.batch (plus one transactional, idempotent batch).

Run once from any directory:  python3 make_record_batches.py
Needs kafka-python and aiokafka, and for kafka-python's codecs python-snappy (or cramjam), lz4
and zstandard; aiokafka's codecs come from cramjam. A codec a library cannot use here is
skipped with a message. The Swift tests (GoldenRecordBatchTests) expect exactly RECORDS below.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# (offset, timestamp ms, key, value, headers) — values repeat so that every codec shrinks them
# (both libraries fall back to an uncompressed batch when compression does not help).
RECORDS = [
    (0, 1700000000000, b"key-0", b"value-0 " * 16, [("trace-id", b"abc123")]),
    (1, 1700000000007, None, b"no key, " * 16, []),
    (2, 1699999999990, b"tombstone", None, [("h-null", None), ("h-empty", b"")]),
    (3, 1700000000123, b"", bytes(range(256)), []),
]
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def build(builder_class, codec, producer_id=-1, producer_epoch=-1, base_sequence=-1, transactional=False):
    builder = builder_class(magic=2, compression_type=codec, is_transactional=transactional,
                            producer_id=producer_id, producer_epoch=producer_epoch,
                            base_sequence=base_sequence, batch_size=1 << 20)
    for offset, timestamp, key, value, headers in RECORDS:
        builder.append(offset, timestamp=timestamp, key=key, value=value, headers=headers)
    return bytes(builder.build())


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    print("%s: %d bytes" % (name, len(data)))


def main():
    from aiokafka.record.default_records import DefaultRecordBatchBuilder as AioBuilder
    from kafka.record.default_records import DefaultRecordBatchBuilder as KafkaPythonBuilder

    for library, builder in [("kafka-python", KafkaPythonBuilder), ("aiokafka", AioBuilder)]:
        for name, codec in CODECS.items():
            try:
                write("%s-%s.batch" % (library, name), build(builder, codec))
            except (NotImplementedError, AssertionError, ImportError) as error:
                print("%s cannot write %s here: %r" % (library, name, error))
    write("kafka-python-none-transactional.batch",
          build(KafkaPythonBuilder, 0, producer_id=4242, producer_epoch=3, base_sequence=17, transactional=True))


if __name__ == "__main__":
    main()
