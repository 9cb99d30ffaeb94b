#!/usr/bin/env python3
"""A real Kafka metadata call with nothing but the standard library, so kafka.sh can poll readiness without
starting a JVM per attempt (each costs ~2 s of CPU on a 2-core box that is busy starting the broker).

    probe.py HOST:PORT[,HOST:PORT...]            exit 0 when a broker answers Metadata listing >= 1 live broker
    probe.py --topics HOST:PORT[,...]            also print the topic names, one a line
    probe.py --cluster-id                        print a new random cluster id (what StorageTool random-uuid prints)

It sends MetadataRequest v4 (all topics, no auto-creation); Kafka 1.0 through 4.x all accept v4. A broker only
answers requests once its startup has finished, and the response lists only registered, unfenced brokers, so a
non-empty broker list means clients can produce and consume.
"""

import base64
import os
import socket
import struct
import sys

API_METADATA, VERSION = 3, 4
CLIENT_ID = b"dateline-kafka-probe"


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return bytes(buf)


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        value = self.data[self.pos : self.pos + n].decode()
        self.pos += n
        return value


def metadata(host, port, timeout=3.0):
    """(brokers, cluster_id, topics) from one MetadataRequest v4."""
    body = struct.pack(">hhih", API_METADATA, VERSION, 1, len(CLIENT_ID)) + CLIENT_ID
    body += struct.pack(">ib", -1, 0)  # topics = null (all), allow_auto_topic_creation = false
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", _recv_exact(sock, 4))[0]
        r = _Reader(_recv_exact(sock, size))
    if r.take(">i") != 1:
        raise ValueError("correlation id mismatch")
    r.take(">i")  # throttle_time_ms
    brokers = []
    for _ in range(r.take(">i")):
        node_id, host_, port_ = r.take(">i"), r.string(), r.take(">i")
        r.string()  # rack
        brokers.append((node_id, host_, port_))
    cluster_id = r.string()
    r.take(">i")  # controller_id
    topics = []
    for _ in range(r.take(">i")):
        error, name, internal = r.take(">h"), r.string(), r.take(">b")
        for _ in range(r.take(">i")):
            r.take(">h"), r.take(">i"), r.take(">i")  # error, partition, leader
            for _ in range(r.take(">i")):  # replicas
                r.take(">i")
            for _ in range(r.take(">i")):  # isr
                r.take(">i")
        if error == 0 and not internal:
            topics.append(name)
    return brokers, cluster_id, sorted(topics)


def cluster_id():
    # Kafka's Uuid.toString(): URL-safe base64 of 16 random bytes without padding, never starting with '-'.
    while True:
        value = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not value.startswith("-"):
            return value


def main(argv):
    if argv[:1] == ["--cluster-id"]:
        print(cluster_id())
        return 0
    show_topics = argv[:1] == ["--topics"]
    if show_topics:
        argv = argv[1:]
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    for address in argv[0].split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            brokers, _, topics = metadata(host.strip("[]") or "127.0.0.1", int(port))
        except (OSError, ValueError, struct.error):
            continue
        if brokers:
            if show_topics:
                print("\n".join(topics))
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
