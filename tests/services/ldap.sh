#!/usr/bin/env bash
# A private, throw-away OpenLDAP server (slapd, mdb backend, suffix dc=example,dc=test) on
# 127.0.0.1 for the LDAP key-directory tests of crates/smime-directory. Adapted from a recipe
# proven on Debian 12 (OpenLDAP 2.5).
#
#   ldap.sh up DIR PORT LDAPS_PORT   start slapd with plain LDAP (and StartTLS) on
#                                    ldap://127.0.0.1:PORT and LDAPS on ldaps://127.0.0.1:LDAPS_PORT
#   ldap.sh down DIR                 stop the slapd started in DIR (by PID) and delete DIR
#
# Input (optional): DIR/entries.ldif, entries below dc=example,dc=test in LDIF (certificates as
# `userCertificate;binary:: BASE64`, `userSMIMECertificate:: BASE64`, `cACertificate;binary::`);
# the script itself creates dc=example,dc=test and ou=people,dc=example,dc=test.
# TLS: DIR/tls/{ca.pem,server.pem,server.key} are used when present; otherwise the script makes
# a private CA and a server certificate for IP 127.0.0.1 and DNS localhost with openssl (an IP
# SAN is needed for ldaps://127.0.0.1). Clients trust DIR/tls/ca.pem.
# Output: DIR/slapd.log (slapd's log), DIR/run/slapd.pid. Anonymous read access; the rootdn is
# cn=admin,dc=example,dc=test with password "secret". The server's size limit is 500 entries.
#
# Needs the Debian packages slapd and ldap-utils (and openssl). When they are missing the script
# fails and names them; it installs nothing. Install them once as root with
#   echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections
#   printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
#   DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slapd ldap-utils
#   rm -f /usr/sbin/policy-rc.d
# (the debconf answer keeps the package from creating a system directory; policy-rc.d keeps it
# from starting a system slapd).
#
# PID 1 on some test machines is no init: a stopped slapd may linger as a zombie, so "ours and
# alive" is decided by /proc/PID/cmdline, which is empty for a zombie.
set -euo pipefail

BASE=dc=example,dc=test

log() { printf '[ldap.sh] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

need_tools() {
  local missing=()
  [ -x /usr/sbin/slapd ] && [ -x /usr/sbin/slapadd ] && [ -x /usr/sbin/slaptest ] || missing+=(slapd)
  command -v ldapsearch >/dev/null 2>&1 || missing+=(ldap-utils)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  [ ${#missing[@]} = 0 ] || die "missing programs: install the Debian packages: ${missing[*]} (echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections; DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}, with a policy-rc.d that exits 101 so that no system server starts)"
}

pid_is_ours() { # PID DIR
  [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -q -- "slapd.* -f $2/slapd.conf"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

make_tls() { # DIR
  local t="$1/tls"
  mkdir -p "$t"
  if [ -s "$t/ca.pem" ] && [ -s "$t/server.pem" ] && [ -s "$t/server.key" ]; then return 0; fi
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$t/ca.key" -out "$t/ca.pem" -subj "/O=Example Test/CN=Example Test LDAP TLS CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/server.key" \
    -out "$t/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' > "$t/server.ext"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
    -days 3650 -out "$t/server.pem" -extfile "$t/server.ext" 2>/dev/null
  chmod 600 "$t"/*.key
}

do_up() { # DIR PORT LDAPS_PORT
  local dir="$1" port="$2" sport="$3"
  need_tools
  case "$port$sport" in *[!0-9]*|'') die "ports must be numbers" ;; esac
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local pid=""
  [ -f "$dir/run/slapd.pid" ] && pid=$(cat "$dir/run/slapd.pid" 2>/dev/null || true)
  if pid_is_ours "$pid" "$dir"; then die "a slapd of ours (pid $pid) already runs in $dir"; fi
  for p in "$port" "$sport"; do port_busy "$p" && die "port $p on 127.0.0.1 is already in use"; done
  rm -rf "$dir/db" "$dir/run"
  mkdir -p "$dir/db" "$dir/run"
  make_tls "$dir"
  cat > "$dir/slapd.conf" <<CONF
include         /etc/ldap/schema/core.schema
include         /etc/ldap/schema/cosine.schema
include         /etc/ldap/schema/inetorgperson.schema
pidfile         $dir/run/slapd.pid
argsfile        $dir/run/slapd.args
modulepath      /usr/lib/ldap
moduleload      back_mdb
TLSCACertificateFile  $dir/tls/ca.pem
TLSCertificateFile    $dir/tls/server.pem
TLSCertificateKeyFile $dir/tls/server.key
sizelimit       500
database        mdb
maxsize         67108864
suffix          "$BASE"
rootdn          "cn=admin,$BASE"
rootpw          secret
directory       $dir/db
index           objectClass eq
index           mail        eq,sub
access to * by * read
CONF
  {
    printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example Test\n\n' "$BASE"
    printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$BASE"
    if [ -f "$dir/entries.ldif" ]; then cat "$dir/entries.ldif"; printf '\n'; fi
  } > "$dir/data.ldif"
  /usr/sbin/slaptest -Q -u -f "$dir/slapd.conf" || die "slaptest rejected $dir/slapd.conf"
  /usr/sbin/slapadd -q -f "$dir/slapd.conf" -l "$dir/data.ldif" || die "slapadd rejected $dir/data.ldif"
  local uri="ldap://127.0.0.1:$port" suri="ldaps://127.0.0.1:$sport"
  # -d keeps slapd in the foreground (its log to a file); setsid+nohup detach it from the caller.
  nohup setsid /usr/sbin/slapd -d 256 -f "$dir/slapd.conf" -h "$uri/ $suri/" \
    >"$dir/slapd.log" 2>&1 </dev/null &
  local up=0
  for _ in $(seq 200); do
    if ldapsearch -x -H "$uri" -s base -b "" -LLL namingContexts >/dev/null 2>&1; then up=1; break; fi
    sleep 0.05
  done
  [ "$up" = 1 ] || { tail -20 "$dir/slapd.log" >&2; die "slapd did not come up on $uri"; }
  LDAPTLS_CACERT="$dir/tls/ca.pem" ldapsearch -x -H "$suri" -s base -b "" -LLL namingContexts >/dev/null 2>&1 \
    || die "slapd does not answer on $suri"
  LDAPTLS_CACERT="$dir/tls/ca.pem" ldapsearch -ZZ -x -H "$uri" -s base -b "" -LLL namingContexts >/dev/null 2>&1 \
    || die "slapd refuses StartTLS on $uri"
  log "slapd pid $(cat "$dir/run/slapd.pid") on $uri (StartTLS) and $suri, base $BASE"
}

do_down() { # DIR
  local dir="$1" pid=""
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  [ -f "$dir/run/slapd.pid" ] && pid=$(cat "$dir/run/slapd.pid" 2>/dev/null || true)
  if pid_is_ours "$pid" "$dir"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do pid_is_ours "$pid" "$dir" || break; sleep 0.05; done
    if pid_is_ours "$pid" "$dir"; then log "slapd $pid ignored TERM; sending KILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -rf -- "$dir"
}

case "${1:-}" in
  up) [ $# = 4 ] || die "usage: $0 up DIR PORT LDAPS_PORT"; do_up "$2" "$3" "$4" ;;
  down) [ $# = 2 ] || die "usage: $0 down DIR"; do_down "$2" ;;
  *) echo "usage: $0 up DIR PORT LDAPS_PORT | down DIR" >&2; exit 2 ;;
esac
