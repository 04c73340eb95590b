"""Measures what TLS and SASL cost a broker, in one run on this machine:

1. kcat producing 2,000,000 100-byte lines to one partition (acks=1, linger.ms=5,
   batch.size=65536) over PLAINTEXT and over SASL_SSL (SCRAM-SHA-512), each against a fresh
   broker, with the CPU seconds of broker and kcat;
2. connection set-up: TCP connect + ApiVersions on PLAINTEXT, TCP + TLS handshake + ApiVersions
   on SSL, and TCP + TLS + SaslHandshake + SCRAM-SHA-512 + ApiVersions on SASL_SSL (Python's ssl
   module and a hand-written SCRAM client), 300 connections each, median and p99.

Usage: python3 bench_security.py BINARY [ROUNDS]   (a release build: swift build -c release --product sluice)
Certificates are generated with openssl into a temporary directory.
"""
import base64, hashlib, hmac, json, os, resource, shutil, socket, ssl, struct, subprocess, sys, tempfile, time

binary = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
work = tempfile.mkdtemp(prefix="sluice-bench-security-")
if not os.path.exists("/tmp/perf-2m.txt"):
    with open("/tmp/perf-2m.txt", "w") as f:
        f.write(("x" * 99 + "\n") * 2_000_000)


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


ca, ca_key = work + "/ca.pem", work + "/ca.key"
sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca_key,
   "-out", ca, "-days", "2", "-subj", "/CN=bench CA")
sh("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", work + "/b.key",
   "-out", work + "/b.csr", "-subj", "/CN=localhost")
open(work + "/ext", "w").write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
sh("openssl", "x509", "-req", "-in", work + "/b.csr", "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", work + "/b.pem",
   "-days", "2", "-extfile", work + "/ext")
with open(work + "/bundle.pem", "w") as f:
    f.write(open(work + "/b.key").read() + open(work + "/b.pem").read())


ADMIN_CONFIG = work + "/admin.properties"
open(ADMIN_CONFIG, "w").write("security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.username=admin\n"
                              "sasl.password=admin-secret\nssl.ca.location=%s\n" % ca)


def add_scram_user(port):
    subprocess.run([binary, "user", "scram", "set", "bench", "--mechanism", "SCRAM-SHA-512", "--password", "bench-secret",
                    "--bootstrap", "127.0.0.1:%d" % port, "--command-config", ADMIN_CONFIG], check=True, stdout=subprocess.DEVNULL)
    time.sleep(0.5)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(listener, port):
    data = work + "/data-" + listener
    shutil.rmtree(data, ignore_errors=True)
    props = ["node.id=1", "listeners=%s://127.0.0.1:%d" % (listener, port), "log.dirs=" + data,
             "ssl.keystore.location=" + work + "/bundle.pem", "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512",
             "listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
             'user_admin="admin-secret";']
    path = work + "/%s.properties" % listener
    open(path, "w").write("\n".join(props) + "\n")
    p = subprocess.Popen([binary, "broker", "--config", path, "--log-level", "warning"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if " ready" in line:
            break
    return p


def cpu(p):
    f = open("/proc/%d/stat" % p.pid).read().split(")")[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


SASL = ["-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=bench",
        "-X", "sasl.password=bench-secret", "-X", "ssl.ca.location=" + ca]
ADMIN = ["-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=admin",
         "-X", "sasl.password=admin-secret", "-X", "ssl.ca.location=" + ca]


def produce(listener):
    port = free_port()
    p = start(listener, port)
    try:
        return measure_produce(listener, port, p)
    finally:
        p.terminate()
        p.wait()


def measure_produce(listener, port, p):
    extra = []
    if listener == "SASL_SSL":
        add_scram_user(port)
        extra = SASL
    c0, r0, t0 = cpu(p), resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
    r = subprocess.run(["kcat", "-P", "-b", "127.0.0.1:%d" % port, "-t", "perf", "-p", "0", "-l", "/tmp/perf-2m.txt",
                        "-X", "linger.ms=5", "-X", "batch.size=65536", "-X", "acks=1"] + extra)
    elapsed = time.time() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    broker_cpu = cpu(p) - c0
    out = subprocess.run(["kcat", "-Q", "-b", "127.0.0.1:%d" % port, "-t", "perf:0:-1"] + extra, capture_output=True, text=True).stdout
    return {"listener": listener, "exit": r.returncode, "seconds": round(elapsed, 2), "msgs_per_s": round(2e6 / elapsed),
            "broker_cpu_s": round(broker_cpu, 2), "kcat_cpu_s": round((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), 2),
            "log_end": out.strip()}


def frame(key, version, body, correlation=1):
    header = struct.pack(">hhih", key, version, correlation, 5) + b"bench"
    return struct.pack(">i", len(header) + len(body)) + header + body


def read_frame(sock):
    size = b""
    while len(size) < 4:
        chunk = sock.recv(4 - len(size))
        if not chunk:
            raise EOFError()
        size += chunk
    n = struct.unpack(">i", size)[0]
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError()
        data += chunk
    return data


def scram512(sock, user, password):
    sock.sendall(frame(17, 1, struct.pack(">h", 13) + b"SCRAM-SHA-512"))
    read_frame(sock)
    nonce = base64.b64encode(os.urandom(18)).decode()
    bare = "n=%s,r=%s" % (user, nonce)

    def authenticate(token, correlation):
        sock.sendall(frame(36, 1, struct.pack(">i", len(token)) + token, correlation))
        data = read_frame(sock)[4:]
        error = struct.unpack(">h", data[:2])[0]
        mlen = struct.unpack(">h", data[2:4])[0]
        rest = data[4 + max(mlen, 0):]
        blen = struct.unpack(">i", rest[:4])[0]
        if error:
            raise RuntimeError("SCRAM failed: %d" % error)
        return rest[4:4 + blen].decode()

    first = authenticate(("n,," + bare).encode(), 2)
    attrs = dict(a.split("=", 1) for a in first.split(","))
    salted = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha512").digest()
    without = "c=biws,r=" + attrs["r"]
    auth = (bare + "," + first + "," + without).encode()
    signature = hmac.new(hashlib.sha512(client_key).digest(), auth, "sha512").digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
    authenticate((without + ",p=" + proof).encode(), 3)


def setup_times(listener, port, count=300):
    context = ssl.create_default_context(cafile=ca)
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        sock = socket.create_connection(("127.0.0.1", port))
        # As Kafka clients do: without it, Nagle holds the TLS Finished's follower for a delayed ACK (40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if listener != "PLAINTEXT":
            sock = context.wrap_socket(sock, server_hostname="localhost")
        if listener == "SASL_SSL":
            scram512(sock, "bench", "bench-secret")
        sock.sendall(frame(18, 0, b"", 9))
        read_frame(sock)
        times.append(time.perf_counter() - t0)
        sock.close()
    times.sort()
    return {"listener": listener, "median_ms": round(times[len(times) // 2] * 1000, 3),
            "p99_ms": round(times[int(len(times) * 0.99)] * 1000, 3)}


print("load average at start: %s" % open("/proc/loadavg").read().split()[:3], flush=True)
for _ in range(rounds):
    for listener in ["PLAINTEXT", "SASL_SSL"]:
        print(json.dumps(produce(listener)), flush=True)
for listener in ["PLAINTEXT", "SSL", "SASL_SSL"]:
    port = free_port()
    p = start(listener, port)
    try:
        if listener == "SASL_SSL":
            add_scram_user(port)
        print(json.dumps(setup_times(listener, port)), flush=True)
    finally:
        p.terminate()
        p.wait()
print("load average at end: %s" % open("/proc/loadavg").read().split()[:3], flush=True)
shutil.rmtree(work, ignore_errors=True)
