"""How long a rebalance stops a consumer group, classic vs consumer protocol (KIP-848), in one run.

    rebalance_pause.py --bootstrap B [--partitions 12] [--rate 3000] [--rounds 3] [--classic-heartbeat-ms 500]

Against a running broker: a producer writes --rate records per second to a topic of --partitions
partitions throughout. For each round and each protocol in turn, three confluent-kafka members
(separate processes) of a fresh group consume it; once they are stable, a fourth joins. Each
member records when it consumed what. Measured from just before the fourth joined until the
group settled (the newcomer consuming steadily): an existing member's pause, the longest time it
went without a record (next to its longest gap in the 5 s before, the baseline); the group's
pause, the longest time none of the three consumed; a partition's pause, the longest time nobody
consumed it (the handover of the partitions that move). Prints one JSON line per round and
protocol, and the medians. The classic members use librdkafka's default eager assignors (range,
roundrobin), with heartbeat.interval.ms=--classic-heartbeat-ms; compare with the broker's
group.consumer.heartbeat.interval.ms (500 against 500, or librdkafka's 3000 against Kafka's 5000).

    rebalance_pause.py member --bootstrap B --topic T --group G --protocol P --out FILE [--heartbeat-ms N]
        one member: appends "<time> <partition> <records>" per partition per poll, until SIGTERM.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid


def member(args):
    from confluent_kafka import Consumer
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    conf = {"bootstrap.servers": args.bootstrap, "group.id": args.group, "auto.offset.reset": "latest",
            "enable.auto.commit": True, "auto.commit.interval.ms": 1000}
    if args.protocol == "consumer":
        conf["group.protocol"] = "consumer"
    else:
        conf.update({"session.timeout.ms": max(6000, 3 * int(args.heartbeat_ms)), "heartbeat.interval.ms": int(args.heartbeat_ms)})
    consumer = Consumer(conf)
    consumer.subscribe([args.topic])
    with open(args.out, "a") as out:
        while not stop:
            messages = consumer.consume(num_messages=1000, timeout=0.05)
            counts = {}
            for m in messages:
                if not m.error():
                    counts[m.partition()] = counts.get(m.partition(), 0) + 1
            if counts:
                now = time.time()
                out.write("".join("%.4f %d %d\n" % (now, p, n) for p, n in counts.items()))
                out.flush()
    consumer.close()


def produce_forever(bootstrap, topic, rate, stop):
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    sent, started = 0, time.time()
    while not stop.is_set():
        due = int((time.time() - started) * rate)
        while sent < due:
            producer.produce(topic, value=b"x" * 100)
            sent += 1
        producer.poll(0)
        time.sleep(0.005)
    producer.flush(10)


def records(path):
    """(time, partition) per poll and partition."""
    result = []
    try:
        with open(path) as f:
            for line in f:
                t, p, _ = line.split()
                result.append((float(t), int(p)))
    except FileNotFoundError:
        pass
    return result


def times(path):
    return sorted(set(t for t, _ in records(path)))


def longest_gap(ts, start, end):
    """The longest time without a record within [start, end]."""
    points = [start] + [t for t in ts if start < t < end] + [end]
    return max(b - a for a, b in zip(points, points[1:]))


def round_(args, protocol, directory):
    group = "pause-%s-%s" % (protocol, uuid.uuid4().hex[:6])
    outs = [os.path.join(directory, "%s-%d.out" % (group, i)) for i in range(4)]

    def start(i):
        return subprocess.Popen([sys.executable, __file__, "member", "--bootstrap", args.bootstrap, "--topic", args.topic,
                                 "--group", group, "--protocol", protocol, "--out", outs[i],
                                 "--heartbeat-ms", str(args.classic_heartbeat_ms)], stderr=subprocess.DEVNULL)

    members = [start(i) for i in range(3)]
    try:
        # Stable: each of the three consumed steadily for the last 6 s.
        deadline = time.time() + 90
        while time.time() < deadline:
            now = time.time()
            if all(times(o) and times(o)[0] < now - 6 and longest_gap(times(o), now - 6, now) < 1 for o in outs[:3]):
                break
            time.sleep(0.2)
        joined = time.time()
        members.append(start(3))
        # Settled: the newcomer consumes steadily too.
        deadline = joined + 60
        while time.time() < deadline:
            now = time.time()
            if times(outs[3]) and longest_gap(times(outs[3]), now - 2, now) < 0.5 and now - times(outs[3])[0] > 2:
                break
            time.sleep(0.2)
        settled = time.time()
        window = (joined - 1, settled)
        baseline = [longest_gap(times(o), joined - 6, joined - 1) for o in outs[:3]]
        pauses = [longest_gap(times(o), *window) for o in outs[:3]]
        merged = sorted(t for o in outs[:3] for t in times(o))
        group_pause = longest_gap(merged, *window)
        everyone = [r for o in outs for r in records(o)]
        partition_pauses = [longest_gap(sorted(t for t, q in everyone if q == p), *window) for p in range(args.partitions)]
        newcomer_first = (times(outs[3]) or [settled])[0] - joined
        return {"protocol": protocol, "baselineGaps": [round(p, 2) for p in baseline],
                "memberPauses": [round(p, 2) for p in pauses], "groupPause": round(group_pause, 2),
                "partitionPauseMax": round(max(partition_pauses), 2),
                "partitionPauseMedian": round(statistics.median(partition_pauses), 2),
                "newcomerFirstRecordAfter": round(newcomer_first, 2), "settledAfter": round(settled - joined, 2)}
    finally:
        for m in members:
            m.terminate()
        for m in members:
            try:
                m.wait(15)
            except subprocess.TimeoutExpired:
                m.kill()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "member":
        parser = argparse.ArgumentParser()
        parser.add_argument("command")
        for name in ("--bootstrap", "--topic", "--group", "--protocol", "--out"):
            parser.add_argument(name, required=True)
        parser.add_argument("--heartbeat-ms", default="500")
        member(parser.parse_args())
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--rate", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--classic-heartbeat-ms", type=int, default=500)
    args = parser.parse_args()
    from confluent_kafka.admin import AdminClient, NewTopic
    args.topic = "pause-" + uuid.uuid4().hex[:6]
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    admin.create_topics([NewTopic(args.topic, args.partitions, 1)])[args.topic].result()
    directory = os.path.join(args.dir, "rebalance-pause-" + uuid.uuid4().hex[:6])
    os.makedirs(directory)
    stop = threading.Event()
    producer = threading.Thread(target=produce_forever, args=(args.bootstrap, args.topic, args.rate, stop))
    producer.start()
    results = {"classic": [], "consumer": []}
    try:
        for _ in range(args.rounds):
            for protocol in ("classic", "consumer"):
                r = round_(args, protocol, directory)
                results[protocol].append(r)
                print(json.dumps(r), flush=True)
    finally:
        stop.set()
        producer.join()
    for protocol, rounds in results.items():
        print(json.dumps({"protocol": protocol,
                          "medianBaselineGap": statistics.median(max(r["baselineGaps"]) for r in rounds),
                          "medianLongestMemberPause": statistics.median(max(r["memberPauses"]) for r in rounds),
                          "medianShortestMemberPause": statistics.median(min(r["memberPauses"]) for r in rounds),
                          "medianGroupPause": statistics.median(r["groupPause"] for r in rounds),
                          "medianPartitionPauseMax": statistics.median(r["partitionPauseMax"] for r in rounds),
                          "medianNewcomerFirstRecord": statistics.median(r["newcomerFirstRecordAfter"] for r in rounds)}))


if __name__ == "__main__":
    main()
