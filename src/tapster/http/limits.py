"""Default limits of the HTTP engine, each with the reason for its value.

The engine takes every limit as a parameter; these are the defaults that the
server settings use. All sizes are in bytes.
"""

from __future__ import annotations

#: Longest request line (method, target and version) before answering 414.
#: 8 KiB is what nginx (``large_client_header_buffers``) and Apache
#: (``LimitRequestLine`` 8190) accept; RFC 9112 §3 recommends supporting at
#: least 8000 octets. Longer lines are almost always probes or mistakes.
MAX_REQUEST_LINE = 8192

#: Largest header section (all field lines, without the request line) before
#: answering 431. 64 KiB is generous for cookies and tokens (waitress allows
#: 256 KiB, nginx 32 KiB by default) while bounding what an idle, unfinished
#: head can pin in memory per connection.
MAX_HEADER_BYTES = 65536

#: Most field lines in one header section before answering 431. gunicorn
#: (``limit_request_fields``) and Apache (``LimitRequestFields``) use 100;
#: real browsers send 10 to 25. Each field costs a Python object or two.
MAX_HEADER_COUNT = 100

#: Largest request body before answering 413, checked against Content-Length
#: before any byte is read and counted while a chunked body streams.
#: 1 GiB matches waitress (``max_request_body_size``); applications that need
#: less should say so (the framework's ``MAX_CONTENT_LENGTH``).
MAX_BODY_BYTES = 1024**3

#: Most hex digits in a chunk size. 16 digits reach 2**64; more is an
#: overflow attempt (CVE-2018-7159-style integer wrap in other servers).
MAX_CHUNK_SIZE_DIGITS = 16

#: Longest chunk-size line including extensions (RFC 9112 §7.1.1). Extensions
#: carry nothing a WSGI application can see, so 4 KiB is ample; without a cap a
#: peer could stream an endless extension and hold the connection's buffer.
MAX_CHUNK_LINE = 4096

#: Largest trailer section of a chunked body. Trailers are parsed for validity
#: and discarded (RFC 9112 §7.1.2 lets a recipient drop them), so they only
#: need a bound, the same as the header section.
MAX_TRAILER_BYTES = 65536

#: Empty lines (CRLF) ignored before a request line (RFC 9112 §2.2 says a
#: server SHOULD ignore at least one, left by clients that add a CRLF after a
#: POST body). More than a few is not a client quirk.
MAX_LEADING_EMPTY_LINES = 8
