#!/bin/sh
# Creates a SoftHSM2 configuration in DIR (tokens in DIR/tokens, file object store), initialises
# a token with LABEL, user PIN and SO PIN in the first free slot, and prints the path to use as
# SOFTHSM2_CONF. Running it again with another LABEL adds a token to the same DIR.
#
# Usage: scripts/softhsm-token.sh DIR LABEL PIN SO_PIN
#
# Needs softhsm2-util (Debian/Ubuntu package `softhsm2`). It never touches the system token
# directory: SOFTHSM2_CONF is set for softhsm2-util only.
set -eu

if [ "$#" -ne 4 ]; then
    echo "usage: $0 DIR LABEL PIN SO_PIN" >&2
    exit 2
fi
dir=$1
label=$2
pin=$3
so_pin=$4

if ! command -v softhsm2-util >/dev/null 2>&1; then
    echo "$0: softhsm2-util not found: install the Debian package softhsm2 (apt-get install softhsm2)" >&2
    exit 3
fi

mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
conf="$dir/softhsm2.conf"
cat >"$conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF

SOFTHSM2_CONF="$conf" softhsm2-util --init-token --free \
    --label "$label" --pin "$pin" --so-pin "$so_pin" >&2
echo "$conf"
