#!/usr/bin/env python3
"""Wall time of commands run round-robin, for the container start table.

    interleave.py [--runs N] [--warmup W] [--timeout S] [--pause MS]
                  [--baseline NAME] NAME=COMMAND...

Each round runs every command once, in the order given, so whatever drifts on
a shared or virtual machine while the rounds go by (other guests, the page
cache, the kernel's deferred work) falls on all of them alike, which running
one command's series after another's does not give. COMMAND is split like a
shell word list but run without a shell, with stdin, stdout and stderr on
/dev/null. Prints one JSON object: for each NAME, its wall times in ms with
their median, min and max, or the error that stopped it (a command that
fails or times out is dropped from the rounds after). With --baseline, each
other command also gets "over": the median of its per-round differences to
the baseline's run of the same round, which cancels what drifts between
rounds.
"""
import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv, timeout):
    start = time.perf_counter()
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=timeout, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        last = lines[-1] if lines else "no output"
        raise RuntimeError(f"exit status {proc.returncode}: {last}")
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--baseline", metavar="NAME")
    ap.add_argument("--pause", type=float, default=0, metavar="MS")
    ap.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = ap.parse_args()

    order, argv, times, errors = [], {}, {}, {}
    for spec in args.commands:
        name, sep, cmd = spec.partition("=")
        if not sep or not name or not cmd.strip():
            ap.error(f"not NAME=COMMAND: {spec!r}")
        if name in argv:
            ap.error(f"{name} given twice")
        order.append(name)
        argv[name] = shlex.split(cmd)
        times[name] = []
    if args.baseline is not None and args.baseline not in argv:
        ap.error(f"--baseline {args.baseline}: no such NAME")

    for rnd in range(args.warmup + args.runs):
        for name in order:
            if name in errors:
                continue
            time.sleep(args.pause / 1000)
            try:
                ms = run_once(argv[name], args.timeout)
            except subprocess.TimeoutExpired:
                errors[name] = f"timed out after {args.timeout:g} s"
                continue
            except (OSError, RuntimeError) as e:
                errors[name] = str(e)
                continue
            if rnd >= args.warmup:
                times[name].append(ms)

    out = {}
    for name in order:
        if name in errors:
            out[name] = {"error": errors[name]}
            continue
        t = times[name]
        out[name] = {"median": statistics.median(t), "min": min(t), "max": max(t),
                     "runs": len(t), "times": t}
        base = times.get(args.baseline) if args.baseline not in errors else None
        if base and name != args.baseline and len(base) == len(t):
            out[name]["over"] = statistics.median(a - b for a, b in zip(t, base))
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
