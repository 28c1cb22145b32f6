#!/usr/bin/env bash
# bootsrv TFTP and HTTP boot serving, driven by clients nobody here wrote
# (curl, atftp, tftp-hpa) and by hand-made packets (tftp_raw.py) for the
# protocol corner cases.  bootsrv runs in one network namespace, the
# clients in another, joined by a veth pair; nothing leaves them.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns
for c in curl atftp tftp /usr/bin/python3; do
	command -v "$c" >/dev/null || plan_skip_all "$c is not installed (make deps)"
done

P=sos$$t
NS_S=${P}s
NS_C=${P}c
SRV=192.168.211.1
CLI=192.168.211.2
TMP=$(mktemp -d /tmp/$P.XXXXXX)
BOOTSRV=$SPRINGOS_BUILD/bin/bootsrv
SPRINGOS=$SPRINGOS_BUILD/bin/springos
RAW=$SPRINGOS_TOP/tests/integration/tftp_raw.py
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS_S" && ip netns add "$NS_C" &&
ip link add "${P}a" netns "$NS_S" type veth peer name "${P}b" netns "$NS_C" &&
ip -n "$NS_S" addr add $SRV/24 dev "${P}a" && ip -n "$NS_S" link set "${P}a" up &&
ip -n "$NS_S" link set lo up &&
ip -n "$NS_C" addr add $CLI/24 dev "${P}b" && ip -n "$NS_C" link set "${P}b" up ||
	{ echo "Bail out! cannot build the namespaces"; exit 1; }
inc() { ip netns exec "$NS_C" timeout 120 "$@"; }

# The served trees: a TFTP root with a file outside it and symlinks in and
# out of it; an HTTP root with a fake kernel and initrd.
mkdir -p "$TMP/tftp/sub" "$TMP/tftp/up" "$TMP/http/ni" "$TMP/wtftp/up"
head -c 200000 /dev/urandom >"$TMP/tftp/small.bin"
head -c 1048576 /dev/urandom >"$TMP/tftp/one.bin"
# Over 32 MiB: at blksize 512 the block number passes 65535 and wraps.
head -c $((33 * 1048576 + 123)) /dev/urandom >"$TMP/tftp/large.bin"
head -c 1024 /dev/urandom >"$TMP/tftp/exact.bin"   # a multiple of 512: empty last block
printf 'line one\nline two\r\nend\n' >"$TMP/tftp/text.txt"
echo secret >"$TMP/outside.txt"
ln -s ../outside.txt "$TMP/tftp/escape.txt"
ln -s /etc/passwd "$TMP/tftp/abs-link"
cp "$TMP/tftp/small.bin" "$TMP/tftp/sub/real.bin"
ln -s real.bin "$TMP/tftp/sub/inside-link"
ln -s ../small.bin "$TMP/tftp/sub/up-link"
mkfifo "$TMP/tftp/fifo"
cp "$TMP/tftp/small.bin" "$TMP/wtftp/small.bin"
head -c 5000000 /dev/urandom >"$TMP/http/ni/vmlinuz"
head -c 3000000 /dev/urandom >"$TMP/http/ni/initrd.img"

cat >"$TMP/springos.ini" <<EOF
[testbed]
db = $TMP/erm.db
mgmt_address = $SRV
[bootsrv]
dhcp_mode = off
tftp_listen = 0.0.0.0:69
tftp_root = $TMP/tftp
http_listen = $SRV:8080
http_root = $TMP/http
master_url = http://$SRV:8000
boot_retry = 5
token_secret_file = $TMP/secret
EOF
# A second instance with uploads on, in its own root.
sed -e "s|tftp_root = .*|tftp_root = $TMP/wtftp|" -e 's|tftp_listen = .*|tftp_listen = 0.0.0.0:6969\ntftp_write = yes\ntftp_write_max = 100000|' \
	-e 's|^http = .*||' "$TMP/springos.ini" >"$TMP/w.ini"
echo "http = no" >>"$TMP/w.ini"
printf 'topsecret\n' >"$TMP/secret"
cat >"$TMP/inventory.ini" <<EOF
[node:n01]
mac = 02:00:00:00:01:00
ip = 192.168.211.11
boot = install
[node:n02]
mac = 02:00:00:00:02:00
ip = 192.168.211.12
boot = local
[node:n03]
mac = 02:00:00:00:03:00
boot = none
EOF
"$SPRINGOS" -c "$TMP/springos.ini" db init >/dev/null &&
"$SPRINGOS" -c "$TMP/springos.ini" node import "$TMP/inventory.ini" >/dev/null ||
	{ echo "Bail out! cannot set up the testbed database"; exit 1; }

ip netns exec "$NS_S" "$BOOTSRV" -f -v -c "$TMP/springos.ini" 2>"$TMP/bootsrv.log" &
pids+=($!)
ip netns exec "$NS_S" "$BOOTSRV" -f -c "$TMP/w.ini" 2>"$TMP/bootsrv-w.log" &
pids+=($!)
for _ in $(seq 50); do
	grep -q ": ready$" "$TMP/bootsrv.log" && grep -q ": ready$" "$TMP/bootsrv-w.log" &&
		break
	sleep 0.1
done
alive() { kill -0 "${pids[0]}" 2>/dev/null && kill -0 "${pids[1]}" 2>/dev/null; }
check "bootsrv started (TFTP and HTTP)" grep -q ": ready$" "$TMP/bootsrv.log"
same() { cmp -s "$1" "$2"; }

# --- TFTP with stock clients -------------------------------------------
inc curl -sS -o "$TMP/c1" "tftp://$SRV/small.bin"
check "curl tftp://, default blksize 512: byte-identical" same "$TMP/c1" "$TMP/tftp/small.bin"
inc curl -sS --tftp-blksize 1468 -o "$TMP/c2" "tftp://$SRV/one.bin"
check "curl --tftp-blksize 1468: byte-identical" same "$TMP/c2" "$TMP/tftp/one.bin"
inc curl -sS -o "$TMP/c3" "tftp://$SRV/exact.bin"
check "file of exactly 2 blocks (empty last block)" same "$TMP/c3" "$TMP/tftp/exact.bin"
inc curl -sS -o "$TMP/c4" "tftp://$SRV/sub/inside-link"
check "symlink staying inside the root is served" same "$TMP/c4" "$TMP/tftp/small.bin"
inc curl -sS -o "$TMP/c5" "tftp://$SRV/sub/up-link"
check "symlink to ../ still inside the root is served" same "$TMP/c5" "$TMP/tftp/small.bin"

out=$(cd "$TMP" && inc atftp --option "blksize 1468" --option "tsize 0" \
	--option "windowsize 16" --trace -g -r one.bin -l "$TMP/a1" $SRV 2>&1)
check "atftp blksize 1468 + windowsize 16: byte-identical" same "$TMP/a1" "$TMP/tftp/one.bin"
like "$out" "received OACK.*tsize: 1048576" "atftp sees tsize 1048576 in the OACK"
like "$out" "windowsize: 16" "atftp sees windowsize 16 accepted"
inc atftp --option "windowsize 64" --option "blksize 65464" -g -r large.bin -l "$TMP/a2" $SRV \
	>/dev/null 2>&1
check "atftp blksize 65464 window 64, 33 MiB: byte-identical" same "$TMP/a2" "$TMP/tftp/large.bin"

inc tftp -m binary $SRV -c get one.bin "$TMP/h1" >/dev/null 2>&1
check "tftp-hpa client, binary: byte-identical" same "$TMP/h1" "$TMP/tftp/one.bin"
inc tftp -m ascii $SRV -c get text.txt "$TMP/h2" >/dev/null 2>&1
check "tftp-hpa client, netascii: text round-trips" same "$TMP/h2" "$TMP/tftp/text.txt"
inc curl -sS -o "$TMP/rawtext" "tftp://$SRV/text.txt;mode=netascii"
is "$(od -An -c "$TMP/rawtext" | tr -s ' ' | head -c 60)" \
	"$(printf 'line one\r\nline two\r\0\r\nend\r\n' | od -An -c | tr -s ' ' | head -c 60)" \
	"netascii on the wire: LF -> CR LF, lone CR -> CR NUL (curl keeps it raw)"

inc curl -sS -o "$TMP/big512" "tftp://$SRV/large.bin"
check "33 MiB at blksize 512 (block number wraps past 65535): byte-identical" \
	same "$TMP/big512" "$TMP/tftp/large.bin"

# 40 concurrent transfers: all complete, all identical.
cpids=()
for i in $(seq 40); do
	inc curl -sS --tftp-blksize 1468 -o "$TMP/par$i" "tftp://$SRV/one.bin" &
	cpids+=($!)
done
for p in "${cpids[@]}"; do wait "$p"; done
n_ok=0
for i in $(seq 40); do same "$TMP/par$i" "$TMP/tftp/one.bin" && n_ok=$((n_ok + 1)); done
is "$n_ok" 40 "40 concurrent curl transfers all byte-identical"

# --- TFTP refusals: each with the right error, and the server lives -------
# curl 7.88 cannot report an ERROR that arrives first, so refusals are
# read with tftp-hpa's client, which prints "Error code N: message".
tftp_err() { # NAME -> tftp-hpa's error line
	(cd "$TMP" && inc tftp $SRV -c get "$1" "$TMP/err.out" 2>&1 | head -1)
}
like "$(tftp_err nosuch.bin)" "Error code 1: file not found" "missing file: error 1"
like "$(tftp_err /etc/passwd)" "Error code 2: absolute paths are not served" \
	"absolute path: error 2"
like "$(tftp_err ../outside.txt)" "Error code 2: '.' and '..' are not allowed" "../: error 2"
like "$(tftp_err sub/../../outside.txt)" "Error code 2: '.' and '..' are not allowed" \
	"sub/../../: error 2"
like "$(tftp_err 'sub\\small.bin')" "Error code 2: backslashes are not allowed" \
	"backslash: error 2"
like "$(tftp_err escape.txt)" "Error code 2: access violation: path leaves the TFTP root" \
	"symlink out of the root: error 2"
like "$(tftp_err abs-link)" "Error code 2: access violation: path leaves the TFTP root" \
	"absolute symlink: error 2"
like "$(tftp_err fifo)" "Error code 2: access violation" "FIFO: error 2 (and no hang)"
like "$(tftp_err "$(printf 'x%.0s' $(seq 300))")" "Error code 4: filename too long" \
	"300-byte name: error 4"
check "nothing outside the root was fetched" test ! -e "$TMP/err.out" -o ! -s "$TMP/err.out"
check "bootsrv alive after the refusals" alive

raw=$(ip netns exec "$NS_C" timeout 60 /usr/bin/python3 "$RAW" $SRV 69 short opcode mode \
	noterm dropped_ack duplicate_ack dropped_data window_gap window_dupack error_ends \
	wrq_disabled 2>&1)
raw+=$'\n'$(ip netns exec "$NS_C" timeout 60 /usr/bin/python3 "$RAW" $SRV 6969 wrq_upload \
	wrq_exists wrq_toolarge wrq_escape 2>&1)
while IFS= read -r line; do
	case $line in
	PASS*) ok "raw: ${line#PASS }" ;;
	FAIL*) not_ok "raw: ${line#FAIL }" ;;
	?*) not_ok "raw: unexpected output"; diag "$line" ;;
	esac
done <<<"$raw"
cmp -s <(python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256))*9)') \
	"$TMP/wtftp/up/new.bin" && ok "upload stored byte-identical (duplicate DATA stored once)" ||
	not_ok "upload stored byte-identical"
check "no file created outside the root by an upload" test ! -e "$TMP/escape.bin"
check "oversized upload left no partial file" test ! -e "$TMP/wtftp/up/huge.bin"
check "bootsrv alive after the raw cases" alive

# --- HTTP boot --------------------------------------------------------------
U=http://$SRV:8080
s1=$(inc curl -sS "$U/boot/02:00:00:00:01:00.ipxe")
like "$s1" $'^#!ipxe\n' "install script is an iPXE script"
like "$s1" "kernel $U/ni/vmlinuz initrd=initrd.img .*springos.node=n01 springos.mac=02:00:00:00:01:00 springos.ip=192.168.211.11 springos.master=http://$SRV:8000 springos.token=[0-9a-f]{64}" \
	"install script: kernel with node parameters and a 64-hex token"
like "$s1" "initrd --name initrd.img $U/ni/initrd.img" "install script loads the ni initrd"
tok=$(grep -o 'springos.token=[0-9a-f]*' <<<"$s1" | cut -d= -f2)
id=$(sqlite3 "$TMP/erm.db" "select id from nodes where name='n01'")
want=$(printf '%s:' "$id" | openssl dgst -sha256 -hmac topsecret -r | cut -d' ' -f1)
is "$tok" "$want" "token = HMAC-SHA256(secret, 'ID:EXPERIMENT')"
like "$(inc curl -sS "$U/boot/02-00-00-00-02-00.ipxe")" "sanboot --no-describe --drive 0x80" \
	"local node (MAC with dashes): sanboot from disk"
like "$(inc curl -sS "$U/boot/02:00:00:00:03:00.ipxe")" "sleep 5.*chain --replace --autofree $U/boot/02:00:00:00:03:00.ipxe" \
	"boot mode none: wait and retry"
like "$(inc curl -sS "$U/boot/02:00:00:00:09:09.ipxe")" "not a registered node.*sleep 5" \
	"unknown MAC: wait and retry"
"$SPRINGOS" -c "$TMP/springos.ini" node boot n01 local >/dev/null
like "$(inc curl -sS "$U/boot/02:00:00:00:01:00.ipxe")" "sanboot" \
	"after 'springos node boot n01 local' the script says sanboot"
like "$(inc curl -sS "$U/boot.ipxe")" 'chain http://192.168.211.1:8080/boot/\$\{net0/mac\}.ipxe' \
	"/boot.ipxe chains to the per-MAC script"
is "$(inc curl -sS -o /dev/null -w '%{http_code}' "$U/boot/zz.ipxe")" 400 "malformed MAC: 400"

inc curl -sS -o "$TMP/k" "$U/ni/vmlinuz"
check "kernel over HTTP byte-identical" same "$TMP/k" "$TMP/http/ni/vmlinuz"
inc curl -sS -r 1000-1999 -o "$TMP/r1" -D "$TMP/r1h" "$U/ni/initrd.img"
check "Range 1000-1999: the right 1000 bytes" \
	cmp -s "$TMP/r1" <(tail -c +1001 "$TMP/http/ni/initrd.img" | head -c 1000)
like "$(cat "$TMP/r1h")" "HTTP/1.1 206.*Content-Range: bytes 1000-1999/3000000" "206 with Content-Range"
inc curl -sS -r -100 -o "$TMP/r2" "$U/ni/initrd.img"
check "suffix Range -100: the last 100 bytes" cmp -s "$TMP/r2" <(tail -c 100 "$TMP/http/ni/initrd.img")
inc curl -sS -C 2000000 -o "$TMP/r3" "$U/ni/initrd.img"
check "resumed download (-C) byte-identical tail" \
	cmp -s "$TMP/r3" <(tail -c +2000001 "$TMP/http/ni/initrd.img")
is "$(inc curl -sS -o /dev/null -w '%{http_code}' -r 5000000- "$U/ni/initrd.img")" 416 \
	"Range past the end: 416"
like "$(inc curl -sS -I "$U/ni/initrd.img")" "Content-Length: 3000000" "HEAD gives the length"
is "$(inc curl -sS -o /dev/null -w '%{http_code}' --path-as-is "$U/../outside.txt")" 403 \
	"HTTP ../ refused: 403"
is "$(inc curl -sS -o /dev/null -w '%{http_code}' "$U/%2e%2e/outside.txt")" 403 \
	"HTTP %2e%2e refused: 403"
is "$(inc curl -sS -o /dev/null -w '%{http_code}' -X POST "$U/ni/vmlinuz")" 405 "POST: 405"
is "$(inc curl -sS -o /dev/null -w '%{http_code}' "$U/nosuch")" 404 "missing file: 404"
check "bootsrv alive at the end" alive
# A clean stop: SIGTERM ends the loop, everything is freed (under
# make SAN=1 a leak or sanitizer report would show in the log).
for p in "${pids[@]}"; do kill -TERM "$p"; done
rcs=
for p in "${pids[@]}"; do wait "$p"; rcs+="$? "; done
pids=()
is "$rcs" "0 0 " "both bootsrv instances exit 0 on SIGTERM"
check "no sanitizer report in the logs" bash -c "! grep -q Sanitizer '$TMP/bootsrv.log' '$TMP/bootsrv-w.log'"
done_testing
