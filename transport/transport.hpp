#pragma once

/// tr::transport — the protocol layer of the router, sans-I/O.
///
/// The engines here never touch a socket, a thread or a clock: bytes from the peer go in, events
/// come out as callbacks, and bytes for the peer wait in a buffer the driver drains. Any runtime
/// (the epoll shards of transport/runtime, the tests' poll loops) drives them by the
/// contract written down in connection_engine.hpp.
///
/// | type                          | role                                                        |
/// |-------------------------------|-------------------------------------------------------------|
/// | connection_engine             | the driving contract: receive / pending_output / wants_close |
/// | tls_context, tls_session      | OpenSSL over a BIO of ours; contexts built once at set-up   |
/// | tls_connection<Engine>        | an engine inside TLS; the engine is made by ALPN            |
/// | http_server_connection        | HTTP/2 (nghttp2) or HTTP/1.1 (http_parser) server side;     |
/// |                               | requests out to a handler, answers in later by respond()    |
/// | client_connection             | the client interface: submit, can_submit, in_flight, cancel |
/// | h2_client_connection          | HTTP/2 client framing its own requests (own HPACK encoder)  |
/// | h1_client_connection          | HTTP/1.1 client; keep-alive, pipelined up to http1_pipeline |
/// | error, expected<T>            | errors as values                                            |
///
/// A listener: `http_server_connection` per accepted socket (plain: protocol by the first bytes),
/// or `tls_connection<http_server_connection>` with `protocol_for_alpn()`. A connection to an AS:
/// `tls_connection<client_connection>` whose factory calls `make_client_connection(alpn, ...)`,
/// or `make_client_connection("", ...)` for plain http://.

#include "transport/client_connection.hpp"
#include "transport/connection_engine.hpp"
#include "transport/error.hpp"
#include "transport/h1_client_connection.hpp"
#include "transport/h2_client_connection.hpp"
#include "transport/http_server_connection.hpp"
#include "transport/http_types.hpp"
#include "transport/tls_connection.hpp"
#include "transport/tls_context.hpp"
#include "transport/tls_session.hpp"
