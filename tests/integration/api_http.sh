#!/usr/bin/env bash
# The REST API over HTTP with curl, against a running bootkeeperd in a network namespace
# (198.18.0.0/15 only; the API itself listens on the namespace's loopback):
#   server s0 198.18.0.1 <-> c0 client (bootpc, tftp)
# Roles, strict bodies and limits, a write through the API answered on the next BOOTP packet,
# the event stream, the preview, image upload, import and metrics.
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
source "$here/netns.sh"
require_root
for tool in curl bootpc tftp python3 openssl; do
  command -v "$tool" >/dev/null || { fail "$tool is not installed (deploy/setup installs it)"; finish; exit 1; }
done

DB="$WORK/bk.db"
ROOT="$WORK/images"
mkdir -p "$ROOT/lab"
head -c 30000 /dev/urandom >"$ROOT/lab/pxelinux.0"
cat >"$WORK/lab.json" <<'JSON'
{"subnets": [{"name": "lab", "network": "198.18.0.0/24", "gateway": "198.18.0.1", "next_server": "198.18.0.1"}],
 "images": [{"name": "lab-bios", "kind": "pxelinux", "boot_file": "lab/pxelinux.0", "kernel": "lab/vmlinuz",
             "root_path": "/srv/root"}]}
JSON
"$BK" --db "$DB" inventory import "$WORK/lab.json" >/dev/null || { fail "lab import"; finish; exit 1; }
VIEWER=$("$BK" --db "$DB" token create --role viewer --name it-viewer | tail -1)
OPERATOR=$("$BK" --db "$DB" token create --role operator --name it-operator | tail -1)
ADMIN=$("$BK" --db "$DB" token create --role admin --name it-admin | tail -1)

ns_add srv
ns_add cli
link srv s0 cli c0 52:54:00:12:34:77
in_ns srv ip addr add 198.18.0.1/24 dev s0
in_ns cli ip route add default dev c0

ip netns exec "$(ns srv)" "$BK" --db "$DB" --images "$ROOT" --server-name bootkeeper --tftp-listen 198.18.0.1 \
  --api-listen 127.0.0.1:8067 >>"$WORK/server.log" 2>&1 &
SERVER=$!
on_exit "kill $SERVER"
wait_ready "$WORK/server.log" "$SERVER"

# api METHOD PATH TOKEN [curl options...]: the status in $CODE, the body in $OUT.
api() {
  local method="$1" path="$2" token="$3"
  shift 3
  local auth=()
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  CODE=$(in_ns srv curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" "${auth[@]}" "$@" "http://127.0.0.1:8067$path")
  OUT="$(cat "$WORK/body")"
}
expect_code() {  # expect_code CODE NAME
  if [ "$CODE" = "$1" ]; then pass "$2"; else fail "$2 (HTTP $CODE, wanted $1)" "$OUT"; fi
}
json_field() {  # json_field EXPR: a Python expression over the body `j`
  python3 -c "import json,sys; j=json.load(sys.stdin); print($1)" <<<"$OUT" 2>&1
}
bootpc_c0() { in_ns cli timeout 20 bootpc --dev c0 --serverbcast --timeoutwait 4 2>&1; }

# 1. Roles.
api GET /healthz ""
expect_code 200 "healthz needs no token"
api GET /api/v1/machines ""
expect_code 401 "no token: 401"
expect_out "Authorization: Bearer" "  ... saying how to send one"
api GET /api/v1/machines "bk_not-a-token"
expect_code 401 "an unknown token: 401"
api GET /api/v1/machines "$VIEWER"
expect_code 200 "viewer reads machines"
api POST /api/v1/machines "$VIEWER" -H 'Content-Type: application/json' \
  -d '{"mac": "52:54:00:00:00:01", "hostname": "x", "ip": "198.18.0.9"}'
expect_code 403 "viewer may not register a machine"
expect_out "needs operator" "  ... and is told which role can"
api POST /api/v1/subnets "$OPERATOR" -H 'Content-Type: application/json' -d '{"name": "bulk", "network": "198.18.64.0/18"}'
expect_code 403 "operator may not create a subnet"
api POST /api/v1/subnets "$ADMIN" -H 'Content-Type: application/json' -d '{"name": "bulk", "network": "198.18.64.0/18"}'
expect_code 201 "admin creates a subnet"

# 2. Live effect: an unknown MAC gets nothing and is listed as discovered; registered through the
# API, it is answered on its next request, edits too, with no restart.
STREAM="$WORK/stream.txt"
in_ns srv curl -s -N -H "Authorization: Bearer $VIEWER" "http://127.0.0.1:8067/api/v1/events/stream?mac=52%3A54%3A00%3A12%3A34%3A77" \
  >"$STREAM" 2>&1 &
on_exit "kill $!"
api GET "/api/v1/events/stream?mac=nope" "$VIEWER"
expect_code 400 "event stream with a bad mac=: 400"
OUT="$(bootpc_c0)"
if grep -q "^IPADDR=" <<<"$OUT"; then fail "an unregistered client got an address" "$OUT"; else
  pass "unregistered: no reply"; fi
sleep 0.5
api GET /api/v1/discovered "$VIEWER"
expect_out '"mac":"52:54:00:12:34:77"' "unregistered: listed in discovered"
api POST /api/v1/discovered/52-54-00-12-34-77/register "$OPERATOR" -H 'Content-Type: application/json' \
  -d '{"hostname": "ws77", "ip": "198.18.0.77", "image": "lab-bios"}'
expect_code 201 "register the discovered machine"
OUT="$(bootpc_c0)"
expect_out "^IPADDR='198.18.0.77'$" "registered through the API: bootpc gets the address at once"
expect_out "^HOSTNAME='ws77'$" "  ... and the host name"
api PATCH /api/v1/machines/525400123477 "$OPERATOR" -H 'Content-Type: application/json' -d '{"hostname": "ws77b"}'
expect_code 200 "PATCH the host name"
OUT="$(bootpc_c0)"
expect_out "^HOSTNAME='ws77b'$" "  ... the next reply carries it"
sleep 0.5
OUT="$(cat "$STREAM")"
expect_out "^event: bootp.reply$" "event stream: the exchange arrives live"
expect_out '"mac":"52:54:00:12:34:77"' "  ... for this machine"
sleep 1.2
api GET /api/v1/machines/52:54:00:12:34:77 "$VIEWER"
expect_out '"last_seen":"20[0-9-]+T' "the machine's last_seen is set by its replies"

# 3. The preview is what the server answers.
api GET /api/v1/machines/52:54:00:12:34:77/preview "$VIEWER"
expect_code 200 "preview"
OUT="$(json_field "j['clients']['bootp']['reply']['yiaddr'], j['clients']['bootp']['reply']['file'], j['clients']['efi-x64']['why']")"
expect_out "^198.18.0.77 lab/pxelinux.0 image lab-bios has no boot file for EFI x64$" \
  "  ... address and boot file for BOOTP, and why EFI x64 gets nothing"

# 4. Image upload: streamed, hashed, renamed; the TFTP server serves the new bytes.
head -c 2000000 /dev/urandom >"$WORK/new-loader"
api PUT "/api/v1/images/1/content" "$ADMIN" -T "$WORK/new-loader"
expect_code 200 "upload the boot file"
expect_out "\"sha256\":\"$(sha256sum "$WORK/new-loader" | cut -c1-64)\"" "  ... its sha256 is reported"
rm -f "$WORK/fetched"
in_ns srv tftp 198.18.0.1 -m binary -c get lab/pxelinux.0 "$WORK/fetched"
if cmp -s "$WORK/new-loader" "$WORK/fetched"; then pass "  ... and TFTP serves the new bytes"; else
  fail "  ... TFTP serves other bytes"; fi
api GET /api/v1/images/1 "$VIEWER"
expect_out '"size":2000000' "  ... the image records its size"
api PUT "/api/v1/images/1/content" "$OPERATOR" -T "$WORK/new-loader"
expect_code 403 "operator may not upload"

# 5. Bodies that are refused, each as problem+json naming the reason.
api POST /api/v1/machines "$OPERATOR" -H 'Content-Type: application/json' \
  -d '{"mac": "52:54:00:00:00:02", "hostname": "y", "ip": "198.18.0.10", "colour": "red"}'
expect_code 400 "unknown field: 400"
expect_out '"field":"colour"' "  ... naming it"
api POST /api/v1/machines "$OPERATOR" -H 'Content-Type: application/json' \
  -d '{"mac": "52:54:00:00:00:02", "hostname": "y", "ip": "198.18.0.77"}'
expect_code 409 "address in use: 409"
expect_out "ws77b" "  ... naming the machine that has it"
api POST /api/v1/machines "$OPERATOR" -H 'Content-Type: text/plain' -d 'mac=1'
expect_code 415 "wrong content type: 415"
api POST /api/v1/machines "$OPERATOR" -H 'Content-Type: application/json' -d '{"mac": '
expect_code 400 "broken JSON: 400"
CODE=$(in_ns srv curl -s -o /dev/null -w '%{content_type}' -X POST -H "Authorization: Bearer $OPERATOR" \
  -H 'Content-Type: application/json' -d '[' http://127.0.0.1:8067/api/v1/machines)
if [ "$CODE" = "application/problem+json" ]; then pass "  ... as application/problem+json"; else
  fail "  ... content type $CODE"; fi
python3 -c "print('[' * 200000 + ']' * 200000, end='')" >"$WORK/deep.json"
api POST /api/v1/machines "$OPERATOR" -H 'Content-Type: application/json' --data-binary @"$WORK/deep.json"
expect_code 400 "200,000 levels of nesting: 400, and the server lives"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$WORK/2mb"
api POST /api/v1/machines "$OPERATOR" -H 'Content-Type: application/json' --data-binary @"$WORK/2mb"
expect_code 413 "a 2 MB machine body: 413"
head -c 60000000 /dev/zero | tr '\0' 'a' >"$WORK/60mb"
api POST /api/v1/machines/import "$OPERATOR" -H 'Content-Type: text/csv' --data-binary @"$WORK/60mb"
expect_code 413 "a 60 MB import: 413"
api GET /healthz ""
expect_code 200 "  ... the server still answers"

# 6. Import: 10,000 rows in one transaction; a dry run writes nothing; one bad row, nothing.
# Addresses from the bulk subnet, skipping .0 and .255 of each block.
python3 - "$WORK/10k.csv" <<'PY'
import sys, ipaddress
net = ipaddress.ip_network("198.18.64.0/18")
hosts = (h for h in net.hosts() if h.packed[3] not in (0, 255))
with open(sys.argv[1], "w") as f:
    f.write("mac,hostname,ip,image,group,enabled\n")
    for i in range(10000):
        f.write(f"52:54:01:{i >> 8 & 255:02x}:{i & 255:02x}:01,pc{i:05d},{next(hosts)},lab-bios,room-{i % 7},true\n")
PY
api POST "/api/v1/machines/import?dry_run=true" "$OPERATOR" -H 'Content-Type: text/csv' --data-binary @"$WORK/10k.csv"
expect_code 200 "import 10,000 rows, dry run"
OUT="$(json_field "j['summary']['create'], j['written']")"
expect_out "^10000 False$" "  ... reports 10,000 creations and writes nothing"
api GET "/api/v1/machines?limit=1" "$VIEWER"
expect_out '"total":1}' "  ... (still one machine)"
awk -F, -v OFS=, 'NR == 2 { first = $3 } NR == 5001 { $3 = first } { print }' "$WORK/10k.csv" >"$WORK/10k-bad.csv"
api POST /api/v1/machines/import "$OPERATOR" -H 'Content-Type: text/csv' --data-binary @"$WORK/10k-bad.csv"
expect_code 409 "import with one address twice: refused"
expect_out "line 5001" "  ... naming the line"
api POST /api/v1/machines/import "$OPERATOR" -H 'Content-Type: text/csv' --data-binary @"$WORK/10k.csv"
expect_code 200 "import 10,000 rows"
api GET "/api/v1/machines?limit=50&offset=9000&sort=hostname&q=pc" "$VIEWER"
OUT="$(json_field "j['total'], len(j['items']), j['items'][0]['hostname']")"
expect_out "^10000 50 pc09000$" "  ... listed by page, searched and sorted"

# 7. Metrics and the OpenAPI document.
api GET /metrics "$VIEWER"
expect_out '^bootkeeper_bootp_received_total [1-9]' "metrics: BOOTP requests counted"
expect_out '^bootkeeper_bootp_dropped_total\{reason="unknown_client"\} [1-9]' "metrics: drops by reason"
expect_out '^bootkeeper_tftp_transfers_total\{outcome="finished"\} [1-9]' "metrics: TFTP transfers"
expect_out '^bootkeeper_api_requests_total\{status="403"\} [1-9]' "metrics: API responses by status"
api GET /api/v1/openapi.json "$VIEWER"
OUT="$(json_field "j['openapi'], len(j['paths'])")"
expect_out "^3\.0\.3 [0-9]+$" "openapi.json is an OpenAPI 3 document"

# 8. HTTPS: the same API with a certificate; plain HTTP is not spoken there.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
ip netns exec "$(ns srv)" "$BK" --db "$DB" --images "$ROOT" --no-bootp --no-tftp --api-listen 127.0.0.1:8443 \
  --api-tls-cert "$WORK/cert.pem" --api-tls-key "$WORK/key.pem" >>"$WORK/tls.log" 2>&1 &
TLS_SERVER=$!
on_exit "kill $TLS_SERVER"
wait_ready "$WORK/tls.log" "$TLS_SERVER"
OUT=$(in_ns srv curl -s --cacert "$WORK/cert.pem" -H "Authorization: Bearer $VIEWER" https://127.0.0.1:8443/api/v1/machines?limit=1)
expect_out '"total":10001' "HTTPS: the API with --api-tls-cert/--api-tls-key"
if in_ns srv curl -s -m 5 http://127.0.0.1:8443/healthz >/dev/null 2>&1; then fail "HTTPS port answered plain HTTP"; else
  pass "  ... and no plain HTTP there"; fi
kill "$TLS_SERVER"

kill "$SERVER"
wait "$SERVER"
if grep -qF -e "$VIEWER" -e "$OPERATOR" -e "$ADMIN" "$WORK/server.log"; then fail "a token appears in the log"; else
  pass "no token appears in the log"; fi
rc=$?
if [ "$rc" -eq 0 ]; then pass "server stopped cleanly"; else fail "server exit status $rc on SIGTERM" "$(tail -20 "$WORK/server.log")"; fi
finish
