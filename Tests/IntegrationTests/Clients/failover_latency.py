#!/usr/bin/env python3
"""Failover latency (a measurement, not a test): how long acks=all writes stop after the leader of
an RF=3 partition is SIGKILLed, seen by a real client (confluent-kafka / librdkafka).

  python3 Tests/IntegrationTests/Clients/failover_latency.py [BIN] [DATA_DIR] [RUNS]

Each run starts `BIN cluster up --brokers 3` (the local defaults), creates `failover` (1 partition,
RF 3, min.insync.replicas=2), produces one record every 2 ms with an idempotent acks=all producer
(linger.ms=0, librdkafka's other defaults), SIGKILLs the partition's leader once writes flow, and
reports, from the kill:
  ack      the first successful acknowledgement of a record produced after the kill
  meta     the first Metadata answer (from a surviving broker) naming a new leader
  maxgap   the longest time without an acknowledgement in the run
and whether the killed broker was the active controller. Then it stops the cluster; a summary
(median, min, max) follows the runs. With FAILOVER_LOGS=DIR the brokers' logs of run N are kept
as DIR/run-N/broker-<id>.log, with the kill's wall-clock time in DIR/run-N/killed-at.
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

BIN = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/sluice"
DIR = sys.argv[2] if len(sys.argv) > 2 else "/tmp/sluice-failover-latency"
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
TOPIC = "failover"


def sluice(*args, bootstrap=None, check=True):
    env = dict(os.environ)
    if bootstrap:
        env["SLUICE_BOOTSTRAP"] = bootstrap
    return subprocess.run([BIN, *args], env=env, check=check, capture_output=True, text=True, timeout=120)


def partition_state(admin):
    """(leader, isr) of failover-0 as the broker answering this Metadata request sees it."""
    md = admin.list_topics(TOPIC, timeout=2)
    p = md.topics[TOPIC].partitions.get(0)
    return (p.leader, list(p.isrs)) if p is not None and md.topics[TOPIC].error is None else (-1, [])


def controller_id(admin):
    try:
        return admin.describe_cluster(request_timeout=5).result(timeout=10).controller.id
    except Exception:
        return None


def one_run(run):
    killed_wall = None
    shutil.rmtree(DIR, ignore_errors=True)
    sluice("cluster", "up", "--brokers", "3", "--data-dir", DIR)
    try:
        bootstrap = open(os.path.join(DIR, "bootstrap")).read().strip()
        members = {m["id"]: m for m in json.load(open(os.path.join(DIR, "cluster.json")))["members"]}
        sluice("topic", "create", TOPIC, "--partitions", "1", "--replication-factor", "3",
               "--config", "min.insync.replicas=2", bootstrap=bootstrap)
        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
        deadline = time.time() + 60
        while time.time() < deadline:
            leader, isr = partition_state(admin)
            if leader >= 0 and len(isr) == 3:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the partition never had a leader and 3 in-sync replicas")

        acks = []  # (monotonic time of the acknowledgement, of the produce call) of successful writes
        produced_at = {}
        errors = []
        lock = threading.Lock()

        def delivered(err, msg):
            now = time.monotonic()
            with lock:
                if err is None:
                    acks.append((now, produced_at.pop(int(msg.value()), 0)))
                else:
                    errors.append(str(err))

        settings = {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                    "linger.ms": 0, "message.timeout.ms": 30000, "log_level": 0}
        if os.environ.get("FAILOVER_DEBUG"):  # librdkafka's debug contexts, e.g. metadata,topic,msg
            settings.update({"debug": os.environ["FAILOVER_DEBUG"], "log_level": 7})
        producer = Producer(settings)
        stop = threading.Event()

        def produce():
            i = 0
            while not stop.is_set():
                try:
                    with lock:
                        produced_at[i] = time.monotonic()
                    producer.produce(TOPIC, value=b"%d" % i, partition=0, on_delivery=delivered)
                    i += 1
                except BufferError:
                    pass
                producer.poll(0.002)
            producer.flush(30)

        thread = threading.Thread(target=produce)
        thread.start()
        # Steady writes first.
        deadline = time.time() + 30
        while time.time() < deadline:
            with lock:
                if len(acks) >= 200:
                    break
            time.sleep(0.05)
        leader, _ = partition_state(admin)
        controller = controller_id(admin)
        victim = members[leader]
        survivors = ",".join("127.0.0.1:%d" % m["port"] for i, m in members.items() if i != leader)
        survivor_admin = AdminClient({"bootstrap.servers": survivors, "log_level": 0})
        partition_state(survivor_admin)  # connected before the kill
        killed_at = time.monotonic()
        killed_wall = time.time()
        os.kill(victim["pid"], signal.SIGKILL)

        meta = None
        while time.monotonic() - killed_at < 60 and meta is None:
            try:
                new_leader, _ = partition_state(survivor_admin)
                if new_leader >= 0 and new_leader != leader:
                    meta = time.monotonic() - killed_at
            except Exception:
                pass
            if meta is None:
                time.sleep(0.01)
        first_ack = None
        while time.monotonic() - killed_at < 60 and first_ack is None:
            with lock:
                after = [acked for acked, sent in acks if sent > killed_at]
            if after:
                first_ack = min(after) - killed_at
            else:
                time.sleep(0.01)
        time.sleep(0.5)
        stop.set()
        thread.join()
        with lock:
            times = sorted(acked for acked, _ in acks)
        gaps = [b - a for a, b in zip(times, times[1:])]
        result = {"run": run, "killed": leader, "wasController": controller == leader,
                  "ack": first_ack, "meta": meta, "maxgap": max(gaps) if gaps else None,
                  "acked": len(times), "errors": len(errors)}
        print(json.dumps(result), flush=True)
        return result
    finally:
        sluice("cluster", "down", "--data-dir", DIR, check=False)
        keep = os.environ.get("FAILOVER_LOGS")
        if keep:
            target = os.path.join(keep, "run-%d" % run)
            os.makedirs(target, exist_ok=True)
            for name in os.listdir(DIR):
                if name.endswith(".log"):
                    shutil.copy(os.path.join(DIR, name), target)
            if killed_wall is not None:
                open(os.path.join(target, "killed-at"), "w").write("%.3f\n" % killed_wall)
        shutil.rmtree(DIR, ignore_errors=True)


def main():
    print("load average %s" % " ".join(open("/proc/loadavg").read().split()[:3]), flush=True)
    results = [one_run(run) for run in range(1, RUNS + 1)]
    for key in ("ack", "meta", "maxgap"):
        values = [r[key] for r in results if r[key] is not None]
        if values:
            print("%-6s median %.3f s  min %.3f  max %.3f  (%d runs)" % (key, statistics.median(values), min(values),
                                                                        max(values), len(values)))
    print("load average %s" % " ".join(open("/proc/loadavg").read().split()[:3]), flush=True)


if __name__ == "__main__":
    main()
