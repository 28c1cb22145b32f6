#!/usr/bin/python3
"""Hand-made TFTP exchanges against bootsrv, for the protocol situations no
stock client produces on demand (the FreeBSD tftpd functional cases in
spirit): short packets, unknown opcodes and modes, dropped and duplicated
ACKs, RFC 7440 windows with a lost block, uploads.

usage: tftp_raw.py SERVER PORT CASE...   prints "PASS name" / "FAIL name: why"
"""
import socket
import struct
import sys
import time

SERVER = sys.argv[1]
PORT = int(sys.argv[2])


def sock(timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.bind(("0.0.0.0", 0))
    return s


def rrq(name, mode=b"octet", opts=()):
    p = struct.pack("!H", 1) + name + b"\0" + mode + b"\0"
    for k, v in opts:
        p += k + b"\0" + v + b"\0"
    return p


def recv(s):
    data, addr = s.recvfrom(70000)
    op = struct.unpack("!H", data[:2])[0]
    return op, data, addr


def expect_error(pkt, code):
    s = sock()
    s.sendto(pkt, (SERVER, PORT))
    op, data, _ = recv(s)
    if op != 5:
        return "got opcode %d, not ERROR" % op
    got = struct.unpack("!H", data[2:4])[0]
    if got != code:
        return "error code %d (%r), want %d" % (got, data[4:-1], code)
    return None


def drain(s, secs):
    """Packets arriving within secs."""
    out = []
    end = time.time() + secs
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            out.append(recv(s))
        except socket.timeout:
            break
    return out


def case_short():
    return expect_error(b"\0", 4)


def case_opcode():
    return expect_error(b"\0\x09file\0octet\0", 4)


def case_mode():
    return expect_error(rrq(b"small.bin", b"mail"), 4)


def case_noterm():
    return expect_error(b"\0\x01small.bin", 4)


def case_dropped_ack():
    """No ACK for block 1: the server sends block 1 again after its timer."""
    s = sock()
    s.sendto(rrq(b"small.bin", opts=((b"timeout", b"1"),)), (SERVER, PORT))
    op, data, tid = recv(s)
    if op != 6:
        return "no OACK"
    s.sendto(struct.pack("!HH", 4, 0), tid)
    op, d1, _ = recv(s)
    op2, d1b, _ = recv(s)  # the retransmission, about 1 s later
    if op != 3 or op2 != 3 or d1[:4] != d1b[:4] or d1 != d1b:
        return "block 1 not retransmitted identically"
    s.sendto(struct.pack("!HH", 4, 1), tid)
    op, d2, _ = recv(s)
    if op != 3 or struct.unpack("!H", d2[2:4])[0] != 2:
        return "no block 2 after ACK 1"
    s.sendto(struct.pack("!HHH", 5, 0, 0) + b"done\0", tid)
    return None


def case_duplicate_ack():
    """A duplicated ACK must not make the server send the next block twice
    (the Sorcerer's Apprentice, RFC 1123 section 4.2.3.1)."""
    s = sock()
    s.sendto(rrq(b"small.bin"), (SERVER, PORT))
    op, d1, tid = recv(s)
    if op != 3:
        return "no DATA 1"
    s.sendto(struct.pack("!HH", 4, 1), tid)
    s.sendto(struct.pack("!HH", 4, 1), tid)
    pk = drain(s, 0.6)
    n2 = sum(1 for op, d, _ in pk if op == 3 and d[2:4] == b"\0\x02")
    s.sendto(struct.pack("!HHH", 5, 0, 0) + b"done\0", tid)
    if n2 != 1:
        return "block 2 sent %d times" % n2
    return None


def case_dropped_data():
    """The client never sees block 2 and re-ACKs 1: the server resends 2
    on its timer, and the transfer completes byte for byte."""
    s = sock()
    s.sendto(rrq(b"small.bin", opts=((b"timeout", b"1"), (b"tsize", b"0"))), (SERVER, PORT))
    op, oack, tid = recv(s)
    if op != 6 or b"tsize\x00" not in oack:
        return "no OACK with tsize"
    size = int(oack.split(b"tsize\0")[1].split(b"\0")[0])
    s.sendto(struct.pack("!HH", 4, 0), tid)
    got = b""
    block = 1
    dropped = False
    while True:
        op, d, _ = recv(s)
        if op != 3:
            return "opcode %d in transfer" % op
        b = struct.unpack("!H", d[2:4])[0]
        if b == 2 and not dropped:
            dropped = True
            continue  # lost: do not ACK
        if b != block:
            continue
        got += d[4:]
        s.sendto(struct.pack("!HH", 4, b), tid)
        block += 1
        if len(d) - 4 < 512:
            break
    if len(got) != size:
        return "got %d bytes, tsize said %d" % (len(got), size)
    return None


def case_window_gap():
    """RFC 7440: window of 4, block 3 lost; ACK 2 makes the server start the
    next window at block 3."""
    s = sock()
    s.sendto(rrq(b"small.bin", opts=((b"windowsize", b"4"),)), (SERVER, PORT))
    op, oack, tid = recv(s)
    if op != 6 or b"windowsize\x004\x00" not in oack:
        return "no OACK windowsize 4: %r" % oack
    s.sendto(struct.pack("!HH", 4, 0), tid)
    blocks = [struct.unpack("!H", d[2:4])[0] for op, d, _ in drain(s, 0.5) if op == 3]
    if blocks[:4] != [1, 2, 3, 4]:
        return "first window %r" % blocks
    s.sendto(struct.pack("!HH", 4, 2), tid)
    blocks = [struct.unpack("!H", d[2:4])[0] for op, d, _ in drain(s, 0.5) if op == 3]
    s.sendto(struct.pack("!HHH", 5, 0, 0) + b"done\0", tid)
    if blocks[:4] != [3, 4, 5, 6]:
        return "window after ACK 2 is %r, want [3, 4, 5, 6]" % blocks
    return None


def case_window_dupack():
    """RFC 7440: a repeated ACK 0 (nothing of the first window arrived)
    brings the window again, but only once however often it repeats."""
    s = sock()
    s.sendto(rrq(b"small.bin", opts=((b"windowsize", b"4"), (b"timeout", b"5"))),
             (SERVER, PORT))
    op, oack, tid = recv(s)
    s.sendto(struct.pack("!HH", 4, 0), tid)
    first = [struct.unpack("!H", d[2:4])[0] for op, d, _ in drain(s, 0.4) if op == 3]
    s.sendto(struct.pack("!HH", 4, 0), tid)
    s.sendto(struct.pack("!HH", 4, 0), tid)
    s.sendto(struct.pack("!HH", 4, 0), tid)
    again = [struct.unpack("!H", d[2:4])[0] for op, d, _ in drain(s, 0.6) if op == 3]
    s.sendto(struct.pack("!HHH", 5, 0, 0) + b"done\0", tid)
    if first != [1, 2, 3, 4] or again != [1, 2, 3, 4]:
        return "windows %r then %r" % (first, again)
    return None


def case_error_ends():
    """An ERROR from the client ends the transfer: nothing more is sent."""
    s = sock()
    s.sendto(rrq(b"small.bin", opts=((b"tsize", b"0"), (b"timeout", b"1"))), (SERVER, PORT))
    op, oack, tid = recv(s)
    s.sendto(struct.pack("!HH", 5, 8) + b"tsize probe\0", tid)
    pk = drain(s, 1.6)
    if pk:
        return "%d packets after the client's ERROR" % len(pk)
    return None


def wrq(name, payload, opts=()):
    s = sock()
    p = struct.pack("!H", 2) + name + b"\0octet\0"
    for k, v in opts:
        p += k + b"\0" + v + b"\0"
    s.sendto(p, (SERVER, PORT))
    op, d, tid = recv(s)
    if op == 5:
        return struct.unpack("!H", d[2:4])[0], None
    blk = 512
    if op == 6 and b"blksize\0" in d:
        blk = int(d.split(b"blksize\0")[1].split(b"\0")[0])
    elif op != 4:
        return -1, "opcode %d" % op
    n = 1
    off = 0
    while True:
        chunk = payload[off:off + blk]
        pkt = struct.pack("!HH", 3, n & 0xFFFF) + chunk
        s.sendto(pkt, tid)
        if n == 2:
            s.sendto(pkt, tid)  # a duplicated DATA is acknowledged, stored once
        while True:
            op, d, _ = recv(s)
            if op == 5:
                return struct.unpack("!H", d[2:4])[0], None
            if op == 4 and struct.unpack("!H", d[2:4])[0] == n & 0xFFFF:
                break
        off += len(chunk)
        n += 1
        if len(chunk) < blk:
            return 0, None


def case_wrq_disabled():
    code, err = wrq(b"new.bin", b"x" * 100)
    if err or code != 2:
        return "WRQ gave code %r %r, want access violation (2)" % (code, err)
    return None


def case_wrq_upload():
    payload = bytes(range(256)) * 9
    code, err = wrq(b"up/new.bin", payload, ((b"blksize", b"1024"),))
    if err or code != 0:
        return "upload failed: %r %r" % (code, err)
    return None


def case_wrq_exists():
    code, err = wrq(b"up/new.bin", b"again")
    if code != 6:
        return "second upload of the same name gave %r, want 6" % code
    return None


def case_wrq_toolarge():
    code, err = wrq(b"up/huge.bin", b"", ((b"tsize", b"999999999"),))
    if code != 3:
        return "oversized upload gave %r, want 3" % code
    return None


def case_wrq_escape():
    code, err = wrq(b"../escape.bin", b"x")
    if code != 2:
        return "upload outside the root gave %r, want 2" % code
    return None


def main():
    for name in sys.argv[3:]:
        try:
            why = globals()["case_" + name]()
        except Exception as e:  # a timeout is a failure, not a crash
            why = "%s: %s" % (type(e).__name__, e)
        print("PASS %s" % name if why is None else "FAIL %s: %s" % (name, why), flush=True)


main()
