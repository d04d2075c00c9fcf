#!/usr/bin/env python3
"""Writes the hand-made seed inputs of fuzz/corpus/ (the captured ones, named real-*, were
recorded from curl, openssl s_client and nghttpd on loopback, and regress-* are inputs that
once were findings; both are kept as they are).
Each input starts with the control bytes its target reads first (see the target's comment)."""
import json
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def samples():
    """The sample reports of tests/codecs/sample_reports.hpp, by name."""
    text = open(os.path.join(ROOT, "tests/codecs/sample_reports.hpp")).read()
    found = re.findall(r'string_view (\w+) = R"\((\{.*?)\)";', text, re.S)
    return {name: body for name, body in found}


def to_xml(value, key):
    """The router's XML encoding of a JSON value under `key` (codecs/encoders.hpp)."""
    if key in ("CustomerData", "DriverCfg") and isinstance(value, dict):
        text = json.dumps(value, separators=(",", ":"))
        return "<%s>%s</%s>" % (key, text.replace("&", "&amp;").replace("<", "&lt;"), key)
    if isinstance(value, list):
        return "".join(to_xml(item, key) for item in value)
    if isinstance(value, dict):
        return "<%s>%s</%s>" % (key, "".join(to_xml(v, k) for k, v in value.items()), key)
    if value is None:
        return "<%s/>" % key
    if isinstance(value, bool):
        value = "true" if value else "false"
    return "<%s>%s</%s>" % (key, value, key)


def reports():
    found = samples()
    small = ('{"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":17,"FCntUp":18,'
             '"payload_hex":"00","CustomerID":"1"}}')
    untyped = ('{"DevEUI_uplink":{"DevEUI":"20635F0108000496","FPort":"17","FCntUp":"18",'
               '"payload_hex":"00","CustomerID":"1","LrrRSSI":"-67.0"}}')
    for name, body in found.items():
        write("report_json", name, body)
        document = json.loads(body)
        (root, content), = document.items()
        xml = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<%s xmlns="http://uri.actility.com/lora">%s</%s>'
               % (root, "".join(to_xml(v, k) for k, v in content.items()), root))
        write("report_xml", name, xml)
    write("report_json", "small", small)
    write("report_json", "untyped", untyped)
    write("report_json", "escapes", '{"DevEUI_uplink":{"DevEUI":"20635F0108000496",'
          '"Note":"a\\"b\\\\c\\u00e9\\ud83d\\ude00\\n","CustomerID":"1"}}')
    write("report_xml", "small", '<DevEUI_uplink xmlns="http://uri.actility.com/lora">'
          '<DevEUI>20635F0108000496</DevEUI><FPort>3</FPort></DevEUI_uplink>')
    write("report_xml", "entities", '<?xml version="1.0"?><DevEUI_uplink xmlns="http://uri.'
          'actility.com/lora"><DevEUI>20635F0108000496</DevEUI><Note>a &amp; &lt;b&gt; &#233;'
          ' &#x1F600;<![CDATA[x<y]]></Note><!-- c --></DevEUI_uplink>')
    # The batch target: control byte (bit 2: batch; low bits: the query), then the body.
    lines = "\n".join([small, "", json.dumps(json.loads(found["downlink_sent_json"])),
                       '{"DevEUI_uplink":{"DevEUI":"0000000000000001"}}', "{bad", small + "\r"])
    write("batch", "batch-by-device", b"\x04" + lines.encode())
    write("batch", "batch-to-connection", b"\x05" + lines.encode())
    write("batch", "batch-unknown-connection", b"\x06" + lines.encode())
    write("batch", "batch-query", b"\x07connection=c%31&x=1\n" + lines.encode())
    write("batch", "one-report", b"\x00" + small.encode())
    write("batch", "one-report-query", b"\x03connection=c3\n" + small.encode())


def queries():
    text = open(os.path.join(ROOT, "tests/codecs/sample_reports.hpp")).read()
    v1 = "".join(re.search(r'v1_query =\s*((?:"[^"]*"\s*)+);', text).group(1).split('"')[1::2])
    v3 = "".join(re.search(r'v3_wire_query =\s*((?:"[^"]*"\s*)+);', text).group(1).split('"')[1::2])
    token = "ea8f31d2299cbece8e180a3012766c4df15fe3cf2e142d9fdf4035b5894ec886"
    write("query", "percent", b"\x00TWA_100002167.1111.AS-1-111974 %2B+~\xc3\xa9")
    write("query", "params", b"\x01a=1&&b&c=%41=2&=x")
    write("query", "uplink", b"\x02?" + v1.replace(":", "%3A").replace("+", "%2B").encode())
    write("query", "uplink-plain", b"\x02" + v1.encode() + b"&Token=abc")
    write("query", "downlink", b"\x03?" + (v3 + "&Token=" + token).encode())
    write("query", "downlink-unsigned", b"\x03" + v3.encode())
    write("query", "time", b"\x042021-04-07T08:49:51.551+00:00")
    write("query", "time-z", b"\x042016-02-29T23:59:59.123456789Z")
    write("query", "time-offset", b"\x041999-12-31T23:00:00-14:00")
    # The downlink target: lines of control byte + query (bit 0: signed by the harness).
    fresh = ("DevEUI=000000000F1D8693&FPort=2&Payload=0a0b&AS_ID=as1.example"
             "&Time=2026-01-01T12%3A00%3A10.000%2B00%3A00")
    write("downlink", "signed", b"\x01" + fresh.encode())
    write("downlink", "signed-twice", b"\x01" + fresh.encode() + b"\n\x01" + fresh.encode())
    write("downlink", "released", b"\x03" + fresh.encode() + b"\n\x01" + fresh.encode())
    write("downlink", "all-fields", b"\x01" + (fresh + "&FCntDn=7&Confirmed=1&FlushDownlinkQueue=0"
          "&ValidityTime=2026-01-01T12%3A10%3A00.000%2B00%3A00&CorrelationID=0011223344556677"
          ).encode())
    write("downlink", "other-as", b"\x01" + fresh.replace("as1", "as3").encode())
    write("downlink", "stale", b"\x01" + fresh.replace("12%3A00%3A10", "13%3A00%3A10").encode())
    write("downlink", "unsigned-v3", b"\x00" + (v3 + "&Token=" + token).encode())
    write("downlink", "burst", b"".join(b"\x01" + fresh.replace("0a0b", "0a0%d" % i).encode()
                                        + b"\n" for i in range(6)))


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    """HPACK literal without indexing, new name, no Huffman."""
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def h2():
    settings = frame(4, 0, 0, struct.pack(">HI", 3, 100) + struct.pack(">HI", 4, 65535))
    ack = frame(4, 1, 0)
    ok = b"\x88" + literal(b"content-type", b"text/plain")  # :status 200 (static index 8)
    body = b"accepted"
    simple = settings + ack + frame(1, 4, 1, ok) + frame(0, 1, 1, body)
    write("h2_client", "simple", b"\x00\x00" + simple)
    write("h2_client", "two-streams", b"\x01\x00" + settings + ack + frame(1, 4, 3, ok)
          + frame(1, 5, 1, b"\x8c") + frame(0, 1, 3, body))  # 1: 404 without body
    write("h2_client", "continuation", b"\x00\x07" + settings + frame(1, 0, 1, ok[:3])
          + frame(9, 4, 1, ok[3:]) + frame(0, 0x9, 1, b"\x02" + body + b"xx"))
    write("h2_client", "window-ping-goaway", b"\x41\x00" + settings + frame(8, 0, 0, struct.pack(">I", 1 << 20))
          + frame(8, 0, 1, struct.pack(">I", 1 << 20)) + frame(6, 0, 0, b"12345678")
          + frame(7, 0, 0, struct.pack(">II", 1, 0)))
    write("h2_client", "rst-stream", b"\x02\x00" + settings + frame(3, 0, 1, struct.pack(">I", 7))
          + frame(1, 5, 3, b"\x88"))
    write("h2_client", "trailers", b"\x00\x00" + settings + frame(1, 4, 1, ok) + frame(0, 0, 1, body)
          + frame(1, 5, 1, literal(b"x-trailer", b"1")))
    real = open(os.path.join(HERE, "corpus", "h2_client", "real-nghttpd-response"), "rb").read()
    write("h2_client", "real-nghttpd-chunked", b"\x08\x05" + real)


def http1():
    post = (b"POST /v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\n\r\n{}")
    write("http1_server", "pipelined", b"\x01\x00" + post + post.replace(b"POST", b"PUT"))
    write("http1_server", "pipelined-deferred", b"\x11\x07" + post + post)
    write("http1_server", "chunked-trailer", b"\x01\x00POST /x HTTP/1.1\r\nHost: a\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n")
    # Chunk framing that http_parser alone would take (any byte where CR LF belongs): 400.
    write("http1_server", "chunked-bad-terminator", b"\x01\x03POST /x HTTP/1.1\r\nHost: a\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n")
    write("http1_server", "chunked-pipelined", b"\x01\x05POST /x HTTP/1.1\r\nHost: a\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
          b"POST /y HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\rX!\r\n0\r\n\r\n")
    write("http1_server", "expect-continue", b"\x31\x03POST /x HTTP/1.1\r\nHost: a\r\n"
          b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")
    write("http1_server", "close", b"\x05\x00GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    write("http1_server", "http10", b"\x01\x00GET /metrics HTTP/1.0\r\n\r\n")
    write("http1_server", "too-large", b"\x01\x00POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\n\r\nab")


def h1_client():
    ok = b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok"
    write("h1_client", "four-pipelined", b"\x03\x00" + ok * 4)
    write("h1_client", "chunked-split", b"\x01\x07HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + ok)
    write("h1_client", "close-after-first", b"\x12\x00HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
          b"Connection: close\r\n\r\n" + ok)
    write("h1_client", "to-the-end", b"\x10\x00HTTP/1.0 200 OK\r\n\r\nuntil the end")
    write("h1_client", "head", b"\x21\x00HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + ok)
    write("h1_client", "cancel-and-more", b"\x0e\x28" + ok * 6)


def tls():
    hello = open(os.path.join(HERE, "corpus", "tls_pump", "real-openssl-client-hello"), "rb").read()
    write("tls_pump", "client-hello-chunked", b"\x81\x07" + hello)
    request = (b"POST /v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}")
    # Session mode, HTTP/1.1: send (op 0, length), deliver all (op 3).
    write("tls_pump", "h1-request", b"\x02\x00" + bytes([len(request) - 1]) + request + b"\x03")
    write("tls_pump", "h1-chunks-close", b"\x02\x00" + bytes([len(request) - 1]) + request
          + b"\x02\x10\x02\x05\x03\x06\x03\x07")
    write("tls_pump", "h1-bitflip", b"\x02\x00" + bytes([len(request) - 1]) + request + b"\x24\x11")
    h2c = open(os.path.join(HERE, "corpus", "http1_server", "real-curl-h2c"), "rb").read()[2:]
    ops = b""
    for i in range(0, len(h2c), 200):
        part = h2c[i:i + 200]
        ops += b"\x00" + bytes([len(part) - 1]) + part
    write("tls_pump", "h2-request", b"\x01" + ops + b"\x03")
    write("tls_pump", "h2-inject", b"\x01" + ops + b"\x05\x05garbage\x03")


def admin():
    connection = {"name": "fuzz", "url": "https://as.example.com/uplink?x=1", "contentType": "JSON",
                  "asId": "TWA_1.1.AS", "domains": [{"group": "Region", "name": "EMEA"}],
                  "headers": [{"name": "X-Tenant", "value": "t"}], "additionalInfo": "info",
                  "maxTimeDeviation": 60, "key": "00112233445566778899AABBCCDDEEFF"}
    body = json.dumps(connection).encode()
    for control, name in ((0, "form"), (8, "form-allow-http"), (2, "create"), (3, "put"), (4, "patch")):
        write("admin_json", name, bytes([control]) + body)
    write("admin_json", "patch-partial", b"\x04" + b'{"name": "renamed", "headers": null, "id": "x"}')
    write("admin_json", "wrong-types", b"\x00" + b'{"name": 1, "domains": "a", "headers": [{}], "nope": true}')
    write("admin_json", "device", b"\x05" + b'{"connections": []}')
    write("admin_json", "import", b"\x06" + b'{"devEUI": "20635F0108000496", "connections": []}\n\n'
          b'{"devEUI": "bad"}\n{"devEUI": "0000000000000001", "connections": ["nope"]}\n')
    write("admin_json", "user", b"\x07" + b'{"name": "tenant c", "role": "viewer", "domains": [{"group": "Region", "name": "EMEA"}]}')
    write("admin_json", "domain", b"\x89" + b'{"group": "Region", "name": "EMEA/France", "description": "d"}')
    write("admin_json", "path-connection", b"\x08c-0001")
    write("admin_json", "path-device", b"\x0920635f0108000496")


def config():
    ini = open(os.path.join(ROOT, "deploy", "router.ini"), "rb").read()
    write("config", "router-ini", b"\x00" + ini)
    write("config", "env-and-ini", b"\x04ADMIN_TOKEN=0123456789abcdef0123456789abcdef\n" + ini)
    write("config", "json", b"\x01" + b'{"store": {"path": "/tmp/r.db"}, "ingress": {"listen": '
          b'"0.0.0.0:8080"}, "admin": {"listen": "127.0.0.1:0", "token": "s3cret-admin-token"}, '
          b'"runtime": {"shards": 4, "drain_timeout_ms": 2500}, "fuse": {"failure_threshold": 3}}')
    write("config", "xml", b"\x02" + b'<?xml version="1.0"?><tunnel-router><!-- c --><store><path>'
          b'/tmp/r.db</path></store><public><listen>[::]:8443</listen></public><as><allow_http>'
          b'true</allow_http></as></tunnel-router>')


if __name__ == "__main__":
    reports()
    queries()
    h2()
    http1()
    h1_client()
    tls()
    admin()
    config()
