#!/usr/bin/env bash
# Peak memory (maximum resident set size, from /usr/bin/time -v) and wall time of the `smime`
# command and of `openssl cms` on the same large mail, for sign, verify, encrypt and decrypt.
#
#   bash benches/memory.sh [SIZE_MIB]     # default 1024: a mail with a 1 GiB attachment
#
# Needs: openssl, /usr/bin/time (Debian package `time`), ~6 × SIZE of free space in $TMPDIR.
# The mail is multipart/mixed: a text part and a base64 attachment of SIZE MiB of random bytes
# (so the mail itself is about 1.35 × SIZE). Keys: an RSA-2048 CA and user with
# emailProtection, made with openssl at start. Our command is built in release mode (with the
# aws-lc provider when FEATURES=aws-lc is set in the environment).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
features=${FEATURES:-}

if [ ! -x /usr/bin/time ]; then
  echo "benches/memory.sh needs /usr/bin/time (Debian package: time)" >&2
  exit 1
fi
if [ -n "$features" ]; then
  cargo build --release -q -p smime-cli --features "$features"
else
  cargo build --release -q -p smime-cli
fi
smime="$PWD/target/release/smime"

work=$(mktemp -d "${TMPDIR:-/tmp}/smime-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# --- keys ----------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
  -subj "/CN=Memory Bench CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout user.key -out user.csr \
  -subj "/CN=Bench User/emailAddress=user@example.com" 2>/dev/null
cat > user.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=emailProtection
subjectAltName=email:user@example.com
EOF
openssl x509 -req -in user.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
  -extfile user.ext -out user.pem 2>/dev/null

# --- the mail ------------------------------------------------------------------------------
{
  printf 'From: user@example.com\nTo: user@example.com\nSubject: large attachment\n'
  printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n'
  printf -- '--b1\nContent-Type: text/plain; charset=us-ascii\n\nThe attachment.\n\n'
  printf -- '--b1\nContent-Type: application/octet-stream; name="data.bin"\n'
  printf 'Content-Transfer-Encoding: base64\nContent-Disposition: attachment\n\n'
  head -c "$((size_mib * 1024 * 1024))" /dev/urandom | base64 -w 76
  printf -- '--b1--\n'
} > mail.eml
mail_mib=$(( $(stat -c %s mail.eml) / 1024 / 1024 ))

# --- measuring -----------------------------------------------------------------------------
results=()
measure() { # name command...
  local name=$1
  shift
  if ! /usr/bin/time -v -o time.txt "$@" >/dev/null 2>err.txt; then
    echo "$name failed: $(head -c 500 err.txt)" >&2
    results+=("$(printf '| %-28s | %9s | %8s |' "$name" failed -)")
    return
  fi
  local rss wall
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' time.txt)
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' time.txt)
  results+=("$(printf '| %-28s | %9s | %8s |' "$name" "$rss" "$wall")")
}

measure "smime sign" "$smime" sign --cert user.pem --key user.key --in mail.eml --out ours-signed.eml
measure "openssl cms -sign" openssl cms -sign -signer user.pem -inkey user.key -in mail.eml -out ossl-signed.eml
measure "smime verify" "$smime" verify --trust ca.pem --offline --in ours-signed.eml --out ours-verified.eml
measure "openssl cms -verify" openssl cms -verify -CAfile ca.pem -in ossl-signed.eml -out ossl-verified.eml
rm -f ours-verified.eml ossl-verified.eml ossl-signed.eml
measure "smime sign --opaque" "$smime" sign --opaque --cert user.pem --key user.key --in mail.eml --out ours-opaque.eml
measure "smime verify (opaque)" "$smime" verify --trust ca.pem --offline --in ours-opaque.eml --out ours-verified.eml
rm -f ours-opaque.eml ours-verified.eml ours-signed.eml
measure "smime encrypt (AES-256-CBC)" "$smime" encrypt --to user.pem --in mail.eml --out ours-cbc.eml
measure "openssl cms -encrypt -aes256" openssl cms -encrypt -aes256 -in mail.eml -out ossl-cbc.eml user.pem
measure "smime decrypt (AES-256-CBC)" "$smime" decrypt --cert user.pem --key user.key --in ours-cbc.eml --out ours-dec.eml
measure "openssl cms -decrypt (CBC)" openssl cms -decrypt -recip user.pem -inkey user.key -in ossl-cbc.eml -out ossl-dec.eml
rm -f ours-cbc.eml ossl-cbc.eml ours-dec.eml ossl-dec.eml
measure "smime encrypt (AES-256-GCM)" "$smime" encrypt --cipher aes-256-gcm --to user.pem --in mail.eml --out ours-gcm.eml
measure "smime decrypt (AES-256-GCM)" "$smime" decrypt --cert user.pem --key user.key --in ours-gcm.eml --out ours-dec.eml

echo
echo "Mail of $mail_mib MiB (attachment $size_mib MiB); peak RSS in MiB, wall time m:ss:"
echo
echo "| operation                    | peak MiB  | wall     |"
echo "|------------------------------|-----------|----------|"
printf '%s\n' "${results[@]}"
