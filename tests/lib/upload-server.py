#!/usr/bin/env python3
"""The test internet's upload sink: counts the bytes of a request body and
answers "received N bytes". nginx discards bodies it does not need, so it
cannot tell a test how much of an upload really arrived."""
import argparse
import http.server
import socketserver


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _body_length(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    # Trailers end with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return total
                total += self._drain(size)
                self.rfile.readline()
        return self._drain(int(self.headers.get("Content-Length", "0")))

    def _drain(self, n):
        got = 0
        while got < n:
            chunk = self.rfile.read(min(65536, n - got))
            if not chunk:
                break
            got += len(chunk)
        return got

    def _answer(self, text):
        data = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self._answer("received %d bytes\n" % self._body_length())

    do_PUT = do_POST

    def do_GET(self):
        self._answer("upload sink: POST or PUT a body\n")

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # HTTPServer.server_bind asks the machine's resolver for the bound
        # address's name (getfqdn): slow, and a lookup outside the test
        # internet. Nothing here needs that name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=8081)
    a = ap.parse_args()
    Server((a.bind, a.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
