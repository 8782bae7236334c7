#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 10: the CI smoke run), seeded from the
# vendored test vectors. Needs the nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz --version 0.13.2`). Crashes land in fuzz/artifacts/<target>/;
# minimise them (`cargo +nightly fuzz tmin`) and keep them in tests/fuzz-regressions/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-10}"
mkdir -p seeds/cms seeds/mime seeds/crl seeds/fetched seeds/pkcs12
cp ../third-party/rfc4134/*.bin ../third-party/rfc9216/examples-cms/der/*.p7m \
   ../third-party/openssl/test/recipes/80-test_cms_data/*.cms seeds/cms/
cp ../third-party/rfc4134/*.eml ../third-party/real-world-smime/thunderbird-nss/*.eml \
   ../third-party/real-world-smime/mimekit/thunderbird-signed.txt ../tests/fuzz-regressions/mime/* seeds/mime/
cp ../third-party/pkits/crls/*.crl ../third-party/rfc4134/*.crl seeds/crl/
cp ../third-party/pkits/certs/GoodCACert.crt ../third-party/pkits/certs/TrustAnchorRootCertificate.crt \
   ../third-party/rfc4134/*.cer seeds/fetched/
cp ../third-party/pyca-pkcs12/*.p12 seeds/pkcs12/
mkdir -p seeds/directory
printf 'ldap://keys.example.org:389/dc=example,dc=org?userCertificate;binary?sub?(mail=x)?starttls' > seeds/directory/url
printf '\003\000\000' > seeds/directory/rdata
for target in ber verify decrypt keys mime crl fetched pkcs12 directory ldap_answer inbound cert; do
  seeds=seeds/cms
  [ "$target" = mime ] && seeds=seeds/mime
  [ "$target" = inbound ] && seeds=seeds/mime
  [ "$target" = cert ] && seeds=seeds/fetched
  [ "$target" = crl ] && seeds=seeds/crl
  [ "$target" = fetched ] && seeds=seeds/fetched
  [ "$target" = pkcs12 ] && seeds=seeds/pkcs12
  [ "$target" = directory ] && seeds=seeds/directory
  # ldap_answer: seeded from its inputs in tests/fuzz-regressions/ldap_answer/ (below).
  [ "$target" = ldap_answer ] && seeds=seeds/directory
  # Past crashes of the target seed it too (read only: new inputs go to corpus/<target>).
  regressions=()
  [ -d "../tests/fuzz-regressions/$target" ] && regressions=("../tests/fuzz-regressions/$target")
  mkdir -p "corpus/$target"
  echo "== $target (${seconds}s)"
  cargo +nightly fuzz run -O "$target" "corpus/$target" "$seeds" "${regressions[@]}" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048
done
