"""The proxy scripts' ClientHello: imported by their inline Python."""
import ssl


def hello(name):
    """The first TLS record a client sends for server name NAME."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        ctx.wrap_bio(inc, out, server_hostname=name).do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()
