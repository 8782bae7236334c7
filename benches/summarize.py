#!/usr/bin/env python3
"""Prints the median figures of `cargo bench --bench cms` as a Markdown table.

Reads target/criterion/<group>/<function>/<parameter>/new/{benchmark,estimates}.json and
pairs each `ours` measurement with the `openssl` one of the same group and parameter.
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


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    rows = {}
    for bench in root.glob("*/*/*/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        nbytes = (meta.get("throughput") or {}).get("Bytes")
        key = (meta["group_id"], meta["value_str"])
        rows.setdefault(key, {})[meta["function_id"]] = (est["median"]["point_estimate"], nbytes)

    def order(key):
        group, param = key
        rank = next((i for i, p in enumerate(ORDER) if group.startswith(p)), len(ORDER))
        size = 0 if param.startswith("4KiB") else 1
        return (rank, group, size, param)

    print("| operation | input | ours | openssl | ours / openssl |")
    print("|---|---|---:|---:|---:|")
    for key in sorted(rows, key=order):
        group, param = key
        funcs = rows[key]
        ossl = funcs.get("openssl")
        for func, (ns, nbytes) in sorted(funcs.items()):
            if func == "openssl":
                continue
            name = group if func == "ours" else f"{group} {func.removeprefix('ours_')}"
            ours_cell = fmt_time(ns) + (fmt_rate(ns, nbytes) if nbytes and nbytes >= 2**20 else "")
            if ossl:
                o_ns, o_bytes = ossl
                o_cell = fmt_time(o_ns) + (fmt_rate(o_ns, o_bytes) if o_bytes and o_bytes >= 2**20 else "")
                ratio = f"{ns / o_ns:.2f}"
            else:
                o_cell, ratio = "—", "—"
            print(f"| {name} | {param.replace('_', ', ')} | {ours_cell} | {o_cell} | {ratio} |")


if __name__ == "__main__":
    main()
