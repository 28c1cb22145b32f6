#!/usr/bin/python3
# A scripted Cisco switch for swconf's cisco driver, run by the real snmpd
# as a pass_persist handler (snmpd.conf(5) "pass_persist").  It follows the
# CISCO-VTP-MIB edit-buffer protocol and CISCO-VLAN-MEMBERSHIP-MIB vmVlan:
#
#   vtpVlanEditOperation.1 = copy(2)     take the buffer (fails if held)
#   vtpVlanEditBufferOwner.1 = "name"    who holds it
#   vtpVlanEditRowStatus.1.V = createAndGo(4) / destroy(6), Type, Name, SAID
#   vtpVlanEditOperation.1 = apply(3)    vtpVlanApplyStatus: inProgress for
#                                        the first read, then succeeded
#   vtpVlanEditOperation.1 = release(4)  give the buffer back
#   vmVlan.ifIndex = V                   access VLAN of a port (V must exist)
#
# Usage: cisco-agent.py PORTS STATE_LOG [FAULT_FILE]
#   The running VLAN table and memberships are appended to STATE_LOG
#   after every change (the test reads them).  FAULT_FILE lines:
#   "apply-fail" makes the next apply end in someOtherError(9);
#   "refuse-vmvlan N" refuses vmVlan on port N; "hostile-type" answers
#   vmVlan as a string; "hostile-loop" makes GETNEXT in vmVlan return the
#   OID it was asked about (an agent that would make a walk loop).
# Also serves dot1dBasePortIfIndex (port P is ifIndex 10000+P).
import sys

PORTS = int(sys.argv[1])
LOG = sys.argv[2]
FAULTS = sys.argv[3] if len(sys.argv) > 3 else None

VTP = (1, 3, 6, 1, 4, 1, 9, 9, 46, 1)
VLAN_ENTRY = VTP + (3, 1, 1)
EDIT_CTL = VTP + (4, 1, 1)
EDIT_ENTRY = VTP + (4, 2, 1)
VM_ENTRY = (1, 3, 6, 1, 4, 1, 9, 9, 68, 1, 2, 2, 1)
BASE_IFINDEX = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2)

running = {1: "default", 1002: "fddi-default", 1003: "token-ring-default",
           1004: "fddinet-default", 1005: "trnet-default"}
member = {p: 1 for p in range(1, PORTS + 1)}      # port -> vmVlan
state = {"op": 1, "status": 2, "owner": "", "buffer": None, "polls": 0}


def faults():
    try:
        with open(FAULTS) as f:
            return [l.split() for l in f if l.strip()]
    except (OSError, TypeError):
        return []


def log_state():
    with open(LOG, "a") as f:
        f.write("vlans=%s members=%s owner=%s\n" % (
            ",".join("%d:%s" % (v, running[v]) for v in sorted(running)),
            ",".join(str(member[p]) for p in sorted(member)), state["owner"]))


def objects():
    """Every (oid, type, value) served, unsorted."""
    out = []
    for p in range(1, PORTS + 1):
        out.append((BASE_IFINDEX + (p,), "integer", str(10000 + p)))
    for v, name in running.items():
        out.append((VLAN_ENTRY + (2, 1, v), "integer", "1"))
        out.append((VLAN_ENTRY + (3, 1, v), "integer", "1" if v < 1002 else "2"))
        out.append((VLAN_ENTRY + (4, 1, v), "string", name))
    out.append((EDIT_CTL + (1, 1), "integer", str(state["op"])))
    out.append((EDIT_CTL + (2, 1), "integer", str(status_read())))
    out.append((EDIT_CTL + (3, 1), "string", state["owner"]))
    for v, row in (state["buffer"] or {}).items():
        out.append((EDIT_ENTRY + (2, 1, v), "integer", "1"))
        out.append((EDIT_ENTRY + (3, 1, v), "integer", "1"))
        out.append((EDIT_ENTRY + (4, 1, v), "string", row["name"]))
        out.append((EDIT_ENTRY + (11, 1, v), "integer", "1"))
    hostile = ["hostile-type"] in faults()
    for p in range(1, PORTS + 1):
        out.append((VM_ENTRY + (1, 10000 + p), "integer", "1"))
        out.append((VM_ENTRY + (2, 10000 + p), "string" if hostile else "integer",
                    "evil" if hostile else str(member[p])))
    return out


def status_read():
    # An apply takes a moment on a real switch: report inProgress once.
    if state["status"] == 1:
        if state["polls"] >= 1:
            state["status"] = state["pending_status"]
        state["polls"] += 1
        return 1
    return state["status"]


def parse_oid(s):
    return tuple(int(x) for x in s.strip().strip(".").split(".") if x != "")


def fmt_oid(o):
    return "." + ".".join(str(x) for x in o)


def parse_value(s):
    typ, _, val = s.strip().partition(" ")
    val = val.strip()
    if typ in ("string",):
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        return typ, val
    if typ == "octet":
        val = val.strip('"')
        try:
            return typ, bytes(int(x, 16) for x in val.split()).decode("latin-1")
        except ValueError:
            return typ, None
    return typ, val


def do_set(oid, typ, val):
    """Returns 'DONE' or a pass_persist error word."""
    if oid[:len(EDIT_CTL)] == EDIT_CTL and len(oid) == len(EDIT_CTL) + 2 and oid[-1] == 1:
        col = oid[-2]
        if col == 1:
            if typ != "integer":
                return "wrong-type"
            op = int(val)
            if op == 2:  # copy
                if state["buffer"] is not None:
                    return "inconsistent-value"
                state["buffer"] = {v: {"name": n} for v, n in running.items()}
                state["owner"] = ""
                state["op"] = 2
                return "DONE"
            if state["buffer"] is None:
                return "inconsistent-value"
            if op == 3:  # apply
                state["status"] = 1
                state["polls"] = 0
                fail = any(f[:1] == ["apply-fail"] for f in faults())
                state["pending_status"] = 9 if fail else 2
                if not fail:
                    running.clear()
                    running.update({v: r["name"] for v, r in state["buffer"].items()})
                    log_state()
                return "DONE"
            if op == 4:  # release
                state["buffer"] = None
                state["owner"] = ""
                state["op"] = 1
                log_state()
                return "DONE"
            return "wrong-value"
        if col == 3:
            if typ not in ("string", "octet") or val is None or len(val) > 255:
                return "wrong-type"
            if state["buffer"] is None:
                return "inconsistent-value"
            if state["owner"] not in ("", val):
                return "inconsistent-value"
            state["owner"] = val
            log_state()
            return "DONE"
        return "not-writable"
    if oid[:len(EDIT_ENTRY)] == EDIT_ENTRY and len(oid) == len(EDIT_ENTRY) + 3:
        col, dom, v = oid[-3:]
        if state["buffer"] is None or dom != 1:
            return "inconsistent-value"
        if not 1 <= v <= 4094:
            return "no-creation"
        buf = state["buffer"]
        if col == 11:
            if typ != "integer":
                return "wrong-type"
            rs = int(val)
            if rs == 4:
                if v in buf:
                    return "inconsistent-value"
                buf[v] = {"name": "VLAN%04d" % v}
                return "DONE"
            if rs == 6:
                if v == 1 or v >= 1002:
                    return "inconsistent-value"
                buf.pop(v, None)
                return "DONE"
            return "wrong-value"
        if v not in buf:
            return "no-creation"
        if col == 4:
            if typ not in ("string", "octet") or val is None or len(val) > 32:
                return "wrong-length"
            buf[v]["name"] = val
            return "DONE"
        if col in (3, 6):
            return "DONE"
        return "not-writable"
    if oid[:len(VM_ENTRY)] == VM_ENTRY and len(oid) == len(VM_ENTRY) + 2 and oid[-2] == 2:
        port = oid[-1] - 10000
        if not 1 <= port <= PORTS:
            return "no-creation"
        if typ != "integer":
            return "wrong-type"
        v = int(val)
        if v not in running:
            return "inconsistent-value"
        if ["refuse-vmvlan", str(port)] in faults():
            return "resource-unavailable"
        member[port] = v
        log_state()
        return "DONE"
    return "not-writable"


def reply(*lines):
    sys.stdout.write("".join(l + "\n" for l in lines))
    sys.stdout.flush()


def main():
    log_state()
    while True:
        cmd = sys.stdin.readline()
        if not cmd:
            return
        cmd = cmd.strip()
        if cmd == "PING":
            reply("PONG")
        elif cmd in ("get", "getnext"):
            oid = parse_oid(sys.stdin.readline())
            objs = sorted(objects())
            hit = None
            # snmpd passes a SET to the script only for an OID whose GET
            # the script answers, so rows could never be created: while
            # the buffer is held, a GET of any cell of a row that does not
            # exist (yet) answers notReady(3) / "" (GETNEXT skips them).
            if (cmd == "get" and state["buffer"] is not None and
                    oid[:len(EDIT_ENTRY)] == EDIT_ENTRY and len(oid) == len(EDIT_ENTRY) + 3 and
                    oid[-2] == 1 and 1 <= oid[-1] <= 4094 and oid[-1] not in state["buffer"]):
                objs = [(oid, "string", "")] if oid[-3] in (4, 6) else [(oid, "integer", "3")]
            for o in objs:
                if (cmd == "get" and o[0] == oid) or (cmd == "getnext" and o[0] > oid):
                    hit = o
                    break
            if (cmd == "getnext" and oid[:len(VM_ENTRY) + 1] == VM_ENTRY + (2,) and
                    len(oid) == len(VM_ENTRY) + 2 and ["hostile-loop"] in faults()):
                hit = (oid, "integer", "1")
            if hit is None:
                reply("NONE")
            else:
                reply(fmt_oid(hit[0]), hit[1], hit[2])
        elif cmd == "set":
            oid = parse_oid(sys.stdin.readline())
            raw = sys.stdin.readline()
            typ, val = parse_value(raw)
            res = do_set(oid, typ, val)
            with open(LOG, "a") as f:
                f.write("set %s %s -> %s\n" % (fmt_oid(oid), raw.strip(), res))
            reply(res)
        elif cmd == "":
            continue
        else:
            reply("NONE")


main()
