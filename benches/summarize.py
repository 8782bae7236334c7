#!/usr/bin/env python3
"""Prints the median figures of `cargo bench --bench cms` as a Markdown table.

Reads target/criterion/<group>/<function>/<parameter>/new/{benchmark,estimates}.json: one row
per group, parameter and API, with our two providers (`ours-rustcrypto`, `ours-awslc`; the
latter only from a run with `--features aws-lc`) beside the `openssl` figure and the ratios to
it, for every size. Our streaming API (`ours-<provider>-stream`) gets its own row, marked
"streamed", against the same OpenSSL figure as the whole-buffer row of that size (OpenSSL has
one API). The mail benches (`<provider>_sign+encrypt`, …) have no OpenSSL counterpart. Results
of older runs under other function ids (`ours`) are ignored.
Usage: python3 benches/summarize.py [target/criterion]
"""

import json
import pathlib
import sys

ORDER = ["hash_", "sign_", "verify_", "encrypt_", "decrypt_", "mail_"]


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(ns, nbytes):
    if not nbytes:
        return ""
    return f" ({nbytes / (ns / 1e9) / 2**20:.0f} MiB/s)"


PROVIDERS = ["ours-rustcrypto", "ours-awslc"]
STREAM = "-stream"
SIZES = ["4KiB", "1MiB", "64MiB"]


def cell(entry):
    if not entry:
        return "—"
    ns, nbytes = entry
    return fmt_time(ns) + (fmt_rate(ns, nbytes) if nbytes and nbytes >= 2**20 else "")


def ratio(entry, ossl):
    if not entry or not ossl:
        return "—"
    return f"{entry[0] / ossl[0]:.2f}"


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    rows = {}
    openssl = {}
    for bench in root.glob("*/*/*/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        nbytes = (meta.get("throughput") or {}).get("Bytes")
        func = meta["function_id"]
        # The mail benches: `<provider>_<what>` becomes a row `<group> <what>`.
        group, what = meta["group_id"], None
        for p in PROVIDERS:
            if func.startswith(p + "_"):
                func, what = p, func.removeprefix(p + "_")
        streamed = func.endswith(STREAM)
        func = func.removesuffix(STREAM)
        if func not in PROVIDERS and func != "openssl":
            continue
        name = f"{group} {what}" if what else group
        figure = (est["median"]["point_estimate"], nbytes)
        if func == "openssl":
            openssl[(name, meta["value_str"])] = figure
            continue
        key = (name, meta["value_str"], streamed)
        rows.setdefault(key, {})[func] = figure
    # OpenSSL alone (a run filtered to it): a whole-buffer row.
    for name, param in openssl:
        if not any((name, param, s) in rows for s in (False, True)):
            rows[(name, param, False)] = {}

    def order(key):
        group, param, streamed = key
        rank = next((i for i, p in enumerate(ORDER) if group.startswith(p)), len(ORDER))
        size = next((i for i, s in enumerate(SIZES) if param.split("_")[0] == s), len(SIZES))
        return (rank, group, size, param, streamed)

    print("| operation | input | ours-rustcrypto | ours-awslc | openssl "
          "| rustcrypto / openssl | awslc / openssl | rustcrypto / awslc |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for key in sorted(rows, key=order):
        name, param, streamed = key
        funcs = rows[key]
        rc, aws = (funcs.get(f) for f in PROVIDERS)
        ossl = openssl.get((name, param))
        label = param.replace("_", ", ") + (", streamed" if streamed else "")
        print(f"| {name} | {label} | {cell(rc)} | {cell(aws)} | {cell(ossl)} "
              f"| {ratio(rc, ossl)} | {ratio(aws, ossl)} | {ratio(rc, aws)} |")

if __name__ == "__main__":
    main()
