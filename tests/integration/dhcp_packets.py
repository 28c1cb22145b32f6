#!/usr/bin/python3
"""Build DHCP client messages byte by byte (no scapy here): the seed
corpus of fuzz_dhcp and the bad-input cases of dhcp-badinput.t.

  dhcp_packets.py corpus DIR        write the seeds
  dhcp_packets.py send ADDR PORT    send every malformed case, then one
                                    good DISCOVER, to ADDR:PORT"""
import os
import socket
import struct
import sys


def opt(code, data):
    return bytes([code, len(data)]) + data


def msg(mtype=1, mac=b"\x02\x00\x00\x00\x09\x01", xid=0x1234, ciaddr=0, giaddr=0,
        flags=0, opts=b"", sname=b"", file=b"", end=True, cookie=True):
    hdr = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, xid, 0, flags, ciaddr, 0, 0, giaddr)
    hdr += mac.ljust(16, b"\0") + sname.ljust(64, b"\0")[:64] + file.ljust(128, b"\0")[:128]
    body = b""
    if cookie:
        body += struct.pack("!I", 0x63825363)
    if mtype:
        body += opt(53, bytes([mtype]))
    body += opts
    if end:
        body += b"\xff"
    return hdr + body


PXE = opt(60, b"PXEClient:Arch:00000:UNDI:002001") + opt(93, b"\0\0") + \
    opt(94, b"\x01\x02\x01") + opt(97, b"\0" + bytes(range(16)))
GOOD = {
    "discover": msg(opts=opt(55, bytes([1, 3, 6, 15, 66, 67]))),
    "discover-pxe-bios": msg(opts=PXE + opt(57, b"\x05\xc0")),
    "discover-efi64": msg(opts=opt(60, b"PXEClient:Arch:00007:UNDI:003016") + opt(93, b"\0\x07")),
    "discover-httpboot": msg(opts=opt(60, b"HTTPClient:Arch:00016:UNDI:003001") + opt(93, b"\0\x10")),
    "discover-ipxe": msg(opts=PXE + opt(77, b"iPXE") + opt(175, b"\xb1\x05\x01\x10\xec\x81\x00")),
    "request-selecting": msg(3, opts=opt(54, b"\x0a\x63\0\x01") + opt(50, b"\x0a\x63\x64\x01")),
    "request-renew": msg(3, ciaddr=0x0a636401),
    "request-clientid": msg(3, opts=opt(61, b"\x01\x02\0\0\0\x09\x01") + opt(50, b"\x0a\x63\x64\x01")),
    "inform": msg(8, ciaddr=0x0a636402),
    "release": msg(7, ciaddr=0x0a636401, opts=opt(54, b"\x0a\x63\0\x01")),
    "decline": msg(4, opts=opt(54, b"\x0a\x63\0\x01") + opt(50, b"\x0a\x63\x64\x01")),
    "relayed": msg(giaddr=0x0a630001, opts=opt(82, opt(1, b"port1"))),
    # RFC 3396: a long option split in two, plus overload of file and sname.
    "split-option": msg(opts=opt(77, b"A" * 200) + opt(77, b"B" * 100)),
    "overload": msg(opts=opt(52, b"\x03"), file=opt(12, b"nodename") + b"\xff",
                    sname=opt(15, b"example") + b"\xff"),
}
BAD = {
    "truncated-header": msg()[:100],
    "no-cookie": msg(cookie=False),
    "bad-option-length": msg(end=False) + b"\x0c\x40abc",
    "zero-client-id": msg(opts=opt(61, b"")),
    "bad-msgtype-len": msg(mtype=0, opts=opt(53, b"\x01\x01")),
    "bad-overload": msg(opts=opt(52, b"\x07")),
    "overload-loop": msg(opts=opt(52, b"\x03"), file=opt(52, b"\x03") + b"\x0c\xff",
                         sname=b"\x0c\x05ab"),
    "hlen-over-16": bytes([1, 1, 200]) + msg()[3:],
    "too-many-options": msg(opts=b"\x0c\x00" * 600),
    "giant": msg(opts=opt(12, b"x" * 255) * 40),
}


def parse_reply(data):
    """(msgtype, yiaddr, siaddr, file, options) of a BOOTREPLY."""
    yiaddr = socket.inet_ntoa(data[16:20])
    siaddr = socket.inet_ntoa(data[20:24])
    fname = data[108:236].split(b"\0")[0].decode()
    opts, p = {}, 240
    while p < len(data) and data[p] != 255:
        if data[p] == 0:
            p += 1
            continue
        opts[data[p]] = opts.get(data[p], b"") + data[p + 2:p + 2 + data[p + 1]]
        p += 2 + data[p + 1]
    return opts.get(53, b"\0")[0], yiaddr, siaddr, fname, opts


def pxe_probe(ifname, server, port):
    """A PXE DISCOVER broadcast from port 68 (no address), then, if a
    port is given, a REQUEST to server:port (proxyDHCP boot server)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.bind(("0.0.0.0", 68))
    s.settimeout(3)
    mac = b"\x02\x00\x00\x00\x07\x01"
    s.sendto(msg(1, mac=mac, flags=0x8000, opts=PXE), ("255.255.255.255", 67))
    out = []
    try:
        t, yi, si, fn, o = parse_reply(s.recvfrom(2048)[0])
        out.append("offer type=%d yiaddr=%s siaddr=%s file=%s class=%s uuid=%d" % (
            t, yi, si, fn, o.get(60, b"").decode(), len(o.get(97, b""))))
    except socket.timeout:
        out.append("offer none")
    if port:
        s.sendto(msg(3, mac=mac, ciaddr=0, opts=PXE + opt(54, socket.inet_aton(server))),
                 (server, port))
        try:
            t, yi, si, fn, o = parse_reply(s.recvfrom(2048)[0])
            out.append("ack type=%d yiaddr=%s file=%s" % (t, yi, fn))
        except socket.timeout:
            out.append("ack none")
    print(" | ".join(out))


def main():
    if sys.argv[1] == "pxe-probe":
        pxe_probe(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    if sys.argv[1] == "corpus":
        d = sys.argv[2]
        os.makedirs(d, exist_ok=True)
        for name, data in list(GOOD.items()) + list(BAD.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        return
    addr, port = sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    for _ in range(3):
        for name, data in BAD.items():
            s.sendto(data, (addr, port))
    print(len(BAD) * 3)


main()
