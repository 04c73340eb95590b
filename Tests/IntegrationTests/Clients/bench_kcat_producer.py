"""Measures a broker: start-up to the first answered Metadata request, RSS idle and after load,
and kcat producing 2,000,000 100-byte lines to one partition (acks=1, linger.ms=5,
batch.size=65536), with the CPU seconds of the broker and of kcat.

Usage: python3 bench_kcat_producer.py BINARY PORT DATA_DIR   (DATA_DIR is deleted first)
The input file /tmp/perf-2m.txt is created when missing.
"""
import os, socket, struct, subprocess, sys, time, shutil
binary, port, datadir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
shutil.rmtree(datadir, ignore_errors=True)
if not os.path.exists("/tmp/perf-2m.txt"):
    with open("/tmp/perf-2m.txt", "w") as f:
        f.write(("x" * 99 + "\n") * 2_000_000)
def metadata_ok():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        return False
    # Metadata v1, topics = null (all); header v1: key, version, correlation id, client id
    body = struct.pack(">hhih", 3, 1, 7, 1) + b"m" + struct.pack(">i", -1)
    s.sendall(struct.pack(">i", len(body)) + body)
    try:
        size = struct.unpack(">i", s.recv(4))[0]
        return size > 0
    except Exception:
        return False
    finally:
        s.close()
t0 = time.time()
p = subprocess.Popen([binary, "broker", "--listen", "127.0.0.1:%d" % port, "--data-dir", datadir, "--log-level", "warning"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while not metadata_ok():
    time.sleep(0.002)
t1 = time.time()
def rss():
    for line in open("/proc/%d/status" % p.pid):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
time.sleep(1)
print("start-to-metadata %.3f s, idle RSS %.1f MiB" % (t1 - t0, rss()), flush=True)
def cpu():
    f = open("/proc/%d/stat" % p.pid).read().split(")")[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
import resource
c0 = cpu()
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t2 = time.time()
r = subprocess.run(["kcat", "-P", "-b", "127.0.0.1:%d" % port, "-t", "perf", "-p", "0", "-l", "/tmp/perf-2m.txt",
                    "-X", "linger.ms=5", "-X", "batch.size=65536", "-X", "acks=1"])
t3 = time.time()
el = t3 - t2
print("kcat exit %d: 2,000,000 msgs in %.2f s = %.0f msgs/s, %.1f MB/s of values (99 bytes each)" % (r.returncode, el, 2e6 / el, 198 / el), flush=True)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
print("broker CPU during load: %.2f s; kcat CPU: %.2f s" % (cpu() - c0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)), flush=True)
time.sleep(1)
print("RSS after load %.1f MiB" % rss(), flush=True)
# verify count
out = subprocess.run(["kcat", "-Q", "-b", "127.0.0.1:%d" % port, "-t", "perf:0:-1"], capture_output=True, text=True).stdout
print("log end:", out.strip())
p.terminate(); p.wait()
