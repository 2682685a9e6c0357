#!/usr/bin/env bash
# Bad input to bootkeeperd: each refusal is one line naming the file, the problem and the fix,
# with a non-zero exit, and leaves the inventory as it was.
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
mkdir -p "$WORK/images"

echo "this is a text file, not a database at all; it is long enough to have a header" >"$WORK/notes.txt"
expect_exit 1 "a file that is not SQLite" -- "$BK" --db "$WORK/notes.txt" --images "$WORK/images" db check
expect_one_line "  ... refused in one line"
expect_out "notes.txt: is not a SQLite database: move it away" "  ... naming the file and the fix"

"$BK" --db "$WORK/new.db" db check >/dev/null
sqlite3 "$WORK/new.db" "PRAGMA user_version = 99"
expect_exit 1 "a newer schema" -- "$BK" --db "$WORK/new.db" db check
expect_one_line "  ... refused in one line"
expect_out "newer Bootkeeper .*upgrade bootkeeperd" "  ... saying what to do"

expect_exit 1 "a missing image root" -- "$BK" --db "$WORK/d.db" --images "$WORK/nope" --no-bootp --no-tftp --no-api
expect_out "nope: the image root does not exist: create it" "  ... naming the folder and the fix"

printf '[tftp]\nbackend = "atftpd"\n' >"$WORK/backend.toml"
expect_exit 1 "an unknown tftp.backend" -- "$BK" --config "$WORK/backend.toml" --db "$WORK/d.db" --images "$WORK/images" --no-bootp --no-api
expect_one_line "  ... refused in one line"
expect_out 'tftp.backend = "atftpd": must be "builtin" or "tftp-hpa"' "  ... naming the values it takes"
printf '[bootp]\nlease_seconds = 5\n' >"$WORK/lease.toml"
expect_exit 1 "a DHCP lease of 5 seconds" -- "$BK" --config "$WORK/lease.toml" --db "$WORK/d.db" --images "$WORK/images" --no-bootp --no-tftp --no-api
expect_out "bootp.lease_seconds = 5: must be 60 to 2147483647" "  ... naming the range"
printf '[tftp]\nmax_blksize = 100000\n' >"$WORK/blksize.toml"
expect_exit 1 "a tftp.max_blksize over 65464" -- "$BK" --config "$WORK/blksize.toml" --db "$WORK/d.db" --images "$WORK/images" --no-bootp --no-api
expect_out "tftp.max_blksize = 100000: must be 512 to 65464" "  ... naming the range"
printf '[tftp]\nmax_transfers_per_client = -1\n' >"$WORK/perclient.toml"
expect_exit 1 "a negative tftp.max_transfers_per_client" -- "$BK" --config "$WORK/perclient.toml" --db "$WORK/d.db" --images "$WORK/images" --no-bootp --no-api
expect_out "tftp.max_transfers_per_client = -1: must be 0 to 100000" "  ... naming the range"
expect_exit 1 "a --tftp-listen that is not an address" -- "$BK" --db "$WORK/d.db" --images "$WORK/images" --no-bootp --no-api --tftp-listen tftp.example:69
expect_out "--tftp-listen tftp.example:69: expected ADDRESS\[:PORT\]" "  ... saying the form it wants"
expect_exit 1 "a second TFTP server on the same port" -- bash -c "
  '$BK' --db '$WORK/t1.db' --images '$WORK/images' --no-bootp --no-api --tftp-listen 127.0.0.1:16999 >/dev/null 2>&1 & p=\$!
  sleep 0.5
  '$BK' --db '$WORK/t2.db' --images '$WORK/images' --no-bootp --no-api --tftp-listen 127.0.0.1:16999; rc=\$?
  kill \$p; exit \$rc"
expect_out "cannot listen on 127.0.0.1:16999: Address already in use \(another TFTP server runs" "  ... saying what holds the port"
expect_exit 1 "an --api-listen that is not an address" -- "$BK" --db "$WORK/d.db" --images "$WORK/images" --no-bootp --no-tftp --api-listen api.example
expect_one_line "  ... refused in one line"
expect_out "--api-listen api.example: expected ADDRESS\[:PORT\]" "  ... saying the form it wants"
expect_exit 1 "a second API on the same port" -- bash -c "
  '$BK' --db '$WORK/a1.db' --images '$WORK/images' --no-bootp --no-tftp --api-listen 127.0.0.1:16998 >/dev/null 2>&1 & p=\$!
  sleep 0.5
  '$BK' --db '$WORK/a2.db' --images '$WORK/images' --no-bootp --no-tftp --api-listen 127.0.0.1:16998; rc=\$?
  kill \$p; exit \$rc"
expect_out "cannot listen on 127.0.0.1:16998 for the REST API: Address already in use \(another bootkeeperd\? pass --api-listen" "  ... saying what to do"

expect_exit 1 "a db in a missing folder" -- "$BK" --db "$WORK/missing/bk.db" db check
expect_one_line "  ... refused in one line"
expect_out "mkdir -p" "  ... with the command that fixes it"

"$BK" --db "$WORK/ok.db" db check >/dev/null
before="$(sqlite3 "$WORK/ok.db" 'select count(*) from machines')"
echo '{"machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01",' >"$WORK/broken.json"
expect_exit 1 "a malformed JSON import" -- "$BK" --db "$WORK/ok.db" inventory import "$WORK/broken.json"
expect_one_line "  ... refused in one line"
expect_out "broken.json: not valid JSON \(byte [0-9]+\)" "  ... naming the file and the position"
printf 'mac,hostname,ip\n"52:54:00:00:00:01,ws01,198.18.0.5\n' >"$WORK/broken.csv"
expect_exit 1 "a CSV with an unclosed quote" -- "$BK" --db "$WORK/ok.db" inventory import "$WORK/broken.csv"
expect_out "line 2: a quoted field is never closed" "  ... naming the line"
expect_exit 1 "an import file that does not exist" -- "$BK" --db "$WORK/ok.db" inventory import "$WORK/nope.json"
expect_one_line "  ... refused in one line"
expect_exit 0 "  ... and the inventory is as it was" -- test "$(sqlite3 "$WORK/ok.db" 'select count(*) from machines')" = "$before"

# A read-only inventory: mode bits do not bind root, so use a read-only mount.
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$WORK/ro"
  mount -t tmpfs -o size=8m tmpfs "$WORK/ro"
  on_exit "umount '$WORK/ro'"
  "$BK" --db "$WORK/ro/bk.db" db check >/dev/null
  mount -o remount,ro "$WORK/ro"
  expect_exit 1 "a read-only inventory" -- "$BK" --db "$WORK/ro/bk.db" db check
  expect_one_line "  ... refused in one line"
  expect_out "ro/bk.db: is not writable" "  ... naming the file and the fix"
else
  chmod 0444 "$WORK/ok.db"
  expect_exit 1 "a read-only inventory" -- "$BK" --db "$WORK/ok.db" db check
  expect_out "ok.db: is not writable" "  ... naming the file and the fix"
fi

expect_exit 109 "an unknown flag is refused by the parser" -- "$BK" --no-such-flag
finish
