#!/usr/bin/env bash
# A private, throw-away authoritative DNS server (Knot DNS) on 127.0.0.1 for the SMIMEA tests
# (RFC 8162, RR type 53) of crates/smime-directory. Adapted from a recipe proven on Debian 12.
#
#   dns.sh up DIR PORT [sign:]ZONEFILE...   start knotd on 127.0.0.1:PORT (UDP+TCP) serving each
#                                           zone file; the zone name is the file's name without
#                                           ".zone" (signed.test.zone -> signed.test). A "sign:"
#                                           prefix turns on Knot's automatic DNSSEC signing for
#                                           that zone and exports its trust anchor:
#                                             DIR/<zone>.dnskey  its DNSKEY set (one CSK), zone-file syntax
#                                             DIR/<zone>.ds      DS records (SHA-256), zone-file syntax
#                                             DIR/<zone>.delv    trust-anchors clause for delv
#   dns.sh down DIR                         stop the server started in DIR (by PID) and delete DIR
#
# Zone files are served as given when not signed (a pre-signed zone is served with its RRSIGs).
# Zone transfers (AXFR) are allowed from 127.0.0.1 so that tests can fetch the signed zone.
#
# Needs the Debian packages knot (knotd, knotc, keymgr) and bind9-dnsutils (dig, delv). When
# they are missing the script fails and names them; install them once as root with
#   printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
#   apt-get install -y --no-install-recommends knot bind9-dnsutils
#   rm -f /usr/sbin/policy-rc.d
# (policy-rc.d keeps the package from starting a system knot on port 53).
set -euo pipefail

log() { printf '[dns.sh] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

need_tools() {
  local missing=()
  [ -x /usr/sbin/knotd ] && [ -x /usr/sbin/knotc ] && [ -x /usr/sbin/keymgr ] || missing+=(knot)
  command -v dig >/dev/null 2>&1 && command -v delv >/dev/null 2>&1 || missing+=(bind9-dnsutils)
  [ ${#missing[@]} = 0 ] || die "missing programs: install the Debian packages: ${missing[*]} (apt-get install -y --no-install-recommends ${missing[*]}, with a policy-rc.d that exits 101 so that no system server starts)"
}

pid_is_ours() { # PID DIR
  [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -q -- "$2/knot.conf"
}

q() { dig +time=1 +tries=1 @127.0.0.1 -p "$PORT" "$@"; }

do_down() {
  local dir=${1:?usage: dns.sh down DIR} pid=""
  [ -f "$dir/run/knot.pid" ] && pid=$(cat "$dir/run/knot.pid" 2>/dev/null || true)
  if pid_is_ours "$pid" "$dir"; then
    kill -TERM "$pid"
    for _ in $(seq 100); do pid_is_ours "$pid" "$dir" || break; sleep 0.05; done
    pid_is_ours "$pid" "$dir" && kill -KILL "$pid"
  fi
  rm -rf -- "$dir"
}

do_up() {
  DIR=${1:?usage: dns.sh up DIR PORT [sign:]ZONEFILE...}; PORT=${2:?port}; shift 2
  [ $# -gt 0 ] || die "no zone files given"
  need_tools
  [ -e "$DIR/knot.conf" ] && do_down "$DIR"
  mkdir -p "$DIR/run" "$DIR/db" "$DIR/zones" "$DIR/keys"
  DIR=$(cd "$DIR" && pwd)
  local zones=() signed=() arg file zone
  {
    printf 'server:\n    rundir: "%s/run"\n    listen: 127.0.0.1@%s\n' "$DIR" "$PORT"
    printf 'database:\n    storage: "%s/db"\n' "$DIR"
    printf 'keystore:\n  - id: default\n    config: "%s/keys"\n' "$DIR"
    printf 'log:\n  - target: stderr\n    any: info\n'
    # One combined signing key (CSK): the zone's whole DNSKEY set is then the trust anchor,
    # which validators that do not chase DS records for a private anchor (hickory 0.26) need.
    printf 'policy:\n  - id: csk\n    single-type-signing: on\n'
    printf 'acl:\n  - id: local_xfr\n    address: 127.0.0.1\n    action: transfer\n'
    printf 'template:\n  - id: default\n    storage: "%s/zones"\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n    acl: local_xfr\n' "$DIR"
    printf 'zone:\n'
    for arg in "$@"; do
      file=${arg#sign:}
      [ -f "$file" ] || die "no zone file $file"
      zone=$(basename "$file"); zone=${zone%.zone}
      cp -- "$file" "$DIR/zones/$zone.zone"
      printf '  - domain: %s\n    file: %s.zone\n' "$zone" "$zone"
      if [ "$arg" != "$file" ]; then printf '    dnssec-signing: on\n    dnssec-policy: csk\n'; fi
    done
  } > "$DIR/knot.conf"
  for arg in "$@"; do
    file=${arg#sign:}; zone=$(basename "$file"); zone=${zone%.zone}; zones+=("$zone")
    [ "$arg" != "$file" ] && signed+=("$zone")
  done
  /usr/sbin/knotc -c "$DIR/knot.conf" conf-check >/dev/null || die "bad knot configuration"
  # The port must be free (TCP side checked; UDP fails at bind and shows in the log).
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && die "127.0.0.1:$PORT already in use"
  # Foreground knotd (no -d) in its own session so its log lands in a file; it writes its pid.
  nohup setsid /usr/sbin/knotd -c "$DIR/knot.conf" >"$DIR/server.log" 2>&1 </dev/null &
  for _ in $(seq 200); do [ -s "$DIR/run/knot.pid" ] && break; sleep 0.05; done
  for zone in "${zones[@]}"; do
    for _ in $(seq 200); do q "$zone" SOA 2>/dev/null | grep -q 'status: NOERROR' && break; sleep 0.05; done
    q "$zone" SOA | grep -q 'status: NOERROR' || { tail -20 "$DIR/server.log" >&2; die "knotd does not serve $zone"; }
  done
  for zone in ${signed[@]+"${signed[@]}"}; do
    for _ in $(seq 200); do q +dnssec "$zone" SOA | grep -q RRSIG && break; sleep 0.05; done
    q +dnssec "$zone" SOA | grep -q RRSIG || die "$zone is not signed"
    q +noall +answer "$zone" DNSKEY | awk '$4 == "DNSKEY"' > "$DIR/$zone.dnskey"
    [ -s "$DIR/$zone.dnskey" ] || die "no DNSKEY for $zone"
    /usr/sbin/keymgr -c "$DIR/knot.conf" "$zone" ds | awk '$5 == 2' > "$DIR/$zone.ds" || true
    q +short "$zone" DNSKEY | awk -v z="$zone." '$1==257 {k=""; for(i=4;i<=NF;i++) k=k $i; printf "trust-anchors { %s static-key %s %s %s \"%s\"; };\n", z, $1, $2, $3, k}' > "$DIR/$zone.delv"
    # Self-test: delv validates the zone's SOA from the exported anchor.
    delv -a "$DIR/$zone.delv" +root="$zone" @127.0.0.1 -p "$PORT" "$zone" SOA 2>&1 | grep -q '^; fully validated' \
      || die "delv cannot validate $zone with the exported anchor"
  done
  log "knotd pid $(cat "$DIR/run/knot.pid") on 127.0.0.1:$PORT: ${zones[*]} (signed: ${signed[*]:-none})"
}

case "${1:-}" in
  up) shift; do_up "$@" ;;
  down) shift; do_down "$@" ;;
  *) echo "usage: $0 up DIR PORT [sign:]ZONEFILE... | down DIR" >&2; exit 2 ;;
esac
