#!/usr/bin/env python3
"""Writes the compression fixtures next to this script, each made by a tool independent of Sluice.

Run once from any directory:  python3 make_compression_fixtures.py
Needs the `lz4`, `zstd` and `gzip` command line tools (Debian packages lz4, zstd, gzip) and, for
snappy, `pip install cramjam kafka-python` (the tests themselves need none of these).

Every fixture decompresses to `plain()` below (a few to `big()` or `noisy()`, as their names say); the Swift tests
rebuild both with the same formulas (CompressionFixtureTests).
"""
import os
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


WORDS = [b"kafka", b"sluice", b"record", b"batch", b"offset", b"leader", b"epoch"]


def noise(count):
    x = 12345
    out = bytearray()
    for _ in range(count):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((x >> 16) & 0xFF)
    return bytes(out)


def plain():
    """About 100 KB of repetitive text (so several 64 KB blocks, and matches across blocks),
    with 2000 noise bytes in the middle."""
    lines = [b"sluice fixture line %d: %s\n" % (i % 97, WORDS[i % 7]) for i in range(3500)]
    text = b"".join(lines)
    return text[:50000] + noise(2000) + text[50000:]


def big():
    """1.26 MB that repeats within 30 KB: large enough for 1 MB and 4 MB blocks, small compressed."""
    return plain()[:30000] * 42


def noisy():
    """64 KB of noise, then text: the first 64 KB block cannot shrink and is stored raw."""
    return noise(65536) + plain()[:4000]


def tool(args, data):
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout


def tool_on_file(args, data):
    path = os.path.join(HERE, "input.tmp")
    with open(path, "wb") as f:
        f.write(data)
    try:
        return subprocess.run(args + [path], capture_output=True, check=True).stdout
    finally:
        os.remove(path)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")


def main():
    content = plain()

    # LZ4 frames from the reference CLI, covering the frame descriptor's flags. The CLI picks the
    # smallest block size that holds the whole input and makes a one-block frame independent, so
    # the large sizes and linked blocks need inputs larger than one block; --content-size needs a
    # file argument (stdin has no known size).
    write("lz4-cli-default.lz4", tool(["lz4", "-c", "-q"], content))  # 256 KB blocks, content checksum
    write("lz4-cli-64k-linked-nocrc.lz4", tool(["lz4", "-c", "-q", "-B4", "-BD", "--no-frame-crc"], content))
    write("lz4-cli-64k-blockcrc-size.lz4", tool_on_file(["lz4", "-c", "-q", "-B4", "-BX", "--content-size"], content))
    write("lz4-cli-1m-linked-blockcrc-size.lz4",
          tool_on_file(["lz4", "-c", "-q", "-B6", "-BD", "-BX", "--content-size"], big()))
    write("lz4-cli-4m.lz4", tool(["lz4", "-c", "-q", "-B7", "--no-frame-crc"], big()))
    write("lz4-cli-64k-stored-block.lz4", tool(["lz4", "-c", "-q", "-B4", "-BX"], noisy()))
    # Two frames with a skippable frame between them.
    half = len(content) // 2
    skippable = struct.pack("<II", 0x184D2A5A, 5) + b"skip!"
    write("lz4-cli-two-frames-skippable.lz4",
          tool(["lz4", "-c", "-q", "-B4"], content[:half]) + skippable + tool(["lz4", "-c", "-q", "-B4"], content[half:]))

    # zstd frames from the reference CLI: with a checksum and content size, streamed from stdin
    # (no content size), and two frames back to back.
    write("zstd-cli-default.zst", tool(["zstd", "-c", "-q", "--check"], content))
    write("zstd-cli-19-nocheck.zst", tool(["zstd", "-c", "-q", "-19", "--no-check"], content))
    write("zstd-cli-two-frames.zst", tool(["zstd", "-c", "-q"], content[:half]) + tool(["zstd", "-c", "-q"], content[half:]))

    # gzip: a file name in the header (what `gzip FILE` writes), level 9, and two members.
    write("gzip-cli-with-name.gz", tool_on_file(["gzip", "-c"], content))
    write("gzip-cli-9-noname.gz", tool(["gzip", "-c", "-n", "-9"], content))
    write("gzip-cli-two-members.gz", tool(["gzip", "-c", "-n"], content[:half]) + tool(["gzip", "-c", "-n"], content[half:]))

    # snappy: a raw block (cramjam, the snappy library librdkafka-compatible clients use) and the
    # xerial framing exactly as kafka-python builds it for Kafka.
    import cramjam
    from kafka import codec

    write("snappy-raw-cramjam.snappy", bytes(cramjam.snappy.compress_raw(content)))
    write("snappy-xerial-kafka-python.snappy", codec.snappy_encode(content, xerial_compatible=True))


if __name__ == "__main__":
    main()
