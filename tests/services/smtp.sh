#!/usr/bin/env bash
# A private, throw-away SMTP sink (Postfix's smtp-sink) on 127.0.0.1 for the gateway tests:
# it accepts every mail and dumps each one into a file of its own.
#
#   smtp.sh up DIR PORT   start smtp-sink on 127.0.0.1:PORT, dumping mail into DIR/mail/
#   smtp.sh down DIR      stop the smtp-sink started in DIR (by PID) and delete DIR
#
# Output: one file per mail transaction in DIR/mail/ (named TIMESTAMP.RANDOM). Each starts with
# smtp-sink's envelope lines (X-Client-Addr, X-Client-Proto, X-Helo-Args, X-Mail-Args: <from>,
# one X-Rcpt-Args: <to> per recipient) and a three-line Received header, then the message as
# received (line ends as LF), then one empty line. DIR/smtp-sink.log has its output;
# DIR/run/smtp-sink.pid its PID.
#
# Needs /usr/sbin/smtp-sink from the Debian package postfix. When it is missing the script
# fails and names the package; it installs nothing. Install it once as root with
#   echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
#   printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
#   DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix
#   rm -f /usr/sbin/policy-rc.d
# (the debconf answer keeps the package from configuring a system mailer; policy-rc.d keeps it
# from starting one).
#
# smtp-sink refuses to run as root without -u: as root it drops to the user "nobody" after
# binding. It is started inside DIR/mail with a relative dump template, so that "nobody" needs
# no access to DIR's parents (a private temporary directory), only to DIR/mail itself.
# PID 1 on some test machines is no init: a stopped smtp-sink may linger as a zombie, so "ours
# and alive" is decided by /proc/PID/cmdline, which is empty for a zombie.
set -euo pipefail

SINK=/usr/sbin/smtp-sink

log() { printf '[smtp.sh] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

need_tools() {
  [ -x "$SINK" ] || die "missing program $SINK: install the Debian package postfix (echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections; DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix, with a policy-rc.d that exits 101 so that no system server starts)"
}

pid_is_ours() { # PID PORT
  [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -q -- "smtp-sink .*127\.0\.0\.1:$2 "
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

do_up() { # DIR PORT
  local dir="$1" port="$2"
  need_tools
  case "$port" in *[!0-9]*|'') die "the port must be a number" ;; esac
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local pid="" old_port=""
  [ -f "$dir/run/smtp-sink.pid" ] && pid=$(cat "$dir/run/smtp-sink.pid" 2>/dev/null || true)
  [ -f "$dir/run/port" ] && old_port=$(cat "$dir/run/port" 2>/dev/null || true)
  if [ -n "$old_port" ] && pid_is_ours "$pid" "$old_port"; then
    die "an smtp-sink of ours (pid $pid) already runs in $dir"
  fi
  port_busy "$port" && die "port $port on 127.0.0.1 is already in use"
  rm -rf "$dir/run" "$dir/mail"
  mkdir -p "$dir/run" "$dir/mail"
  local user=()
  if [ "$(id -u)" = 0 ]; then
    user=(-u nobody)
    chmod 0777 "$dir/mail"
  fi
  # setsid+nohup detach it from the caller; smtp-sink stays in the foreground by itself.
  (cd "$dir/mail" && exec nohup setsid "$SINK" "${user[@]}" -d "%Y%m%d%H%M%S." \
    "127.0.0.1:$port" 64 >"$dir/smtp-sink.log" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" > "$dir/run/smtp-sink.pid"
  echo "$port" > "$dir/run/port"
  local up=0
  for _ in $(seq 200); do
    if port_busy "$port"; then up=1; break; fi
    sleep 0.05
  done
  [ "$up" = 1 ] || { cat "$dir/smtp-sink.log" >&2; die "smtp-sink did not come up on 127.0.0.1:$port"; }
  pid_is_ours "$pid" "$port" || { cat "$dir/smtp-sink.log" >&2; die "smtp-sink (pid $pid) is not running"; }
  log "smtp-sink pid $pid on 127.0.0.1:$port, mail in $dir/mail"
}

do_down() { # DIR
  local dir="$1" pid="" port=""
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  [ -f "$dir/run/smtp-sink.pid" ] && pid=$(cat "$dir/run/smtp-sink.pid" 2>/dev/null || true)
  [ -f "$dir/run/port" ] && port=$(cat "$dir/run/port" 2>/dev/null || true)
  if [ -n "$port" ] && pid_is_ours "$pid" "$port"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do pid_is_ours "$pid" "$port" || break; sleep 0.05; done
    if pid_is_ours "$pid" "$port"; then log "smtp-sink $pid ignored TERM; sending KILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -rf -- "$dir"
}

case "${1:-}" in
  up) [ $# = 3 ] || die "usage: $0 up DIR PORT"; do_up "$2" "$3" ;;
  down) [ $# = 2 ] || die "usage: $0 down DIR"; do_down "$2" ;;
  *) echo "usage: $0 up DIR PORT | down DIR" >&2; exit 2 ;;
esac
