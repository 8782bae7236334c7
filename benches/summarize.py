#!/usr/bin/env python3
"""Prints the median figures of `cargo bench --bench cms` as a Markdown table.

Reads target/criterion/<group>/<function>/<parameter>/new/{benchmark,estimates}.json: one row
per group and parameter, with our two providers (`ours-rustcrypto`, `ours-awslc`; the latter
only from a run with `--features aws-lc`) beside the `openssl` figure and the ratios to it.
The mail benches (`<provider>_sign+encrypt`, …) have no OpenSSL counterpart. Results of older
runs under other function ids (`ours`) are ignored.
Usage: python3 benches/summarize.py [target/criterion]
"""

import json
import pathlib
import sys

ORDER = ["sign_", "verify_", "encrypt_", "decrypt_", "mail_"]


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
        if func not in PROVIDERS and func != "openssl":
            continue
        name = f"{group} {what}" if what else group
        key = (name, meta["value_str"])
        rows.setdefault(key, {})[func] = (est["median"]["point_estimate"], nbytes)

    def order(key):
        group, param = key
        rank = next((i for i, p in enumerate(ORDER) if group.startswith(p)), len(ORDER))
        size = 0 if param.startswith("4KiB") else 1
        return (rank, group, size, param)

    print("| operation | input | ours-rustcrypto | ours-awslc | openssl "
          "| rustcrypto / openssl | awslc / openssl | rustcrypto / awslc |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for key in sorted(rows, key=order):
        name, param = key
        funcs = rows[key]
        rc, aws, ossl = (funcs.get(f) for f in (*PROVIDERS, "openssl"))
        print(f"| {name} | {param.replace('_', ', ')} | {cell(rc)} | {cell(aws)} | {cell(ossl)} "
              f"| {ratio(rc, ossl)} | {ratio(aws, ossl)} | {ratio(rc, aws)} |")


if __name__ == "__main__":
    main()
