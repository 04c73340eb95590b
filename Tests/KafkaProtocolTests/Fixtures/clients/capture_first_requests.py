#!/usr/bin/env python3
"""Captures the first request frame each real Kafka client sends, into <client>-first-request.bin.

Run once from any directory:  python3 capture_first_requests.py
Needs kcat and the Python clients confluent-kafka, kafka-python and aiokafka (pip). Nothing
answers the clients: a listener on 127.0.0.1 (a free port) reads one frame from each client's
first connection — 4-byte size prefix included — then closes it and stops the client.
"""
import os
import socket
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Each client is started against {addr} and asked for metadata; its first frame is ApiVersions.
CLIENTS = {
    "kcat": ["kcat", "-b", "{addr}", "-L", "-m", "3"],
    "confluent-kafka": [sys.executable, "-c",
                        "from confluent_kafka.admin import AdminClient;"
                        "AdminClient({{'bootstrap.servers': '{addr}'}}).list_topics(timeout=3)"],
    "kafka-python": [sys.executable, "-c",
                     "from kafka import KafkaConsumer;"
                     "KafkaConsumer(bootstrap_servers='{addr}', request_timeout_ms=3000)"],
    "aiokafka": [sys.executable, "-c",
                 "import asyncio\n"
                 "from aiokafka import AIOKafkaConsumer\n"
                 "async def main():\n"
                 "    c = AIOKafkaConsumer(bootstrap_servers='{addr}', request_timeout_ms=3000)\n"
                 "    await c.start()\n"
                 "asyncio.run(main())"],
}


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError("client closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def capture(name, argv):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(20)
        addr = "127.0.0.1:%d" % listener.getsockname()[1]
        process = subprocess.Popen([a.format(addr=addr) for a in argv],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(20)
                size_bytes = read_exact(conn, 4)
                (size,) = struct.unpack(">i", size_bytes)
                frame = size_bytes + read_exact(conn, size)
        finally:
            process.kill()
            process.wait()
    path = os.path.join(HERE, "%s-first-request.bin" % name)
    with open(path, "wb") as f:
        f.write(frame)
    api_key, api_version = struct.unpack(">hh", frame[4:8])
    print("%s: %d bytes, api key %d v%d" % (name, len(frame), api_key, api_version))


def main():
    for name, argv in CLIENTS.items():
        capture(name, argv)


if __name__ == "__main__":
    main()
