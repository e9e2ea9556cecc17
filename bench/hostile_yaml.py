"""What refusing hostile YAML costs, against reading a real proposal in the same run.

    python bench/hostile_yaml.py [--repeat 20]

For each hostile document (an alias "billion laughs" of 9^10 values, and a few more at the
limits), prints the time and the peak memory (tracemalloc) that `load_yaml` takes to refuse
it, and both as a ratio to reading `examples/pipeline-review.yaml`, measured here as the
baseline. A refusal that grew with the document's expanded size would show as a ratio in the
thousands; a bounded one stays within a small multiple of the baseline.
"""
from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable, Dict, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.errors import InputError  # noqa: E402
from advisor.inputs.yamlsafe import MAX_BYTES, load_yaml  # noqa: E402


def laughs(levels: int) -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return ("\n".join(lines) + "\n").encode()


DOCUMENTS: Dict[str, bytes] = {
    "billion laughs (9^10 values)": laughs(10),
    "aliases, 10,000 references": b"a: &a x\nb: [" + b", ".join([b"*a"] * 10_000) + b"]\n",
    "nesting, 100,000 levels": b"a: " + b"[" * 100_000,
    "values, 1 MiB of them": b"a: [" + b"1," * (MAX_BYTES // 2 - 4) + b"]\n",
    "duplicate key after 9,000 keys": b"".join(b"k%d: 1\n" % i for i in range(9_000)) + b"k0: 2\n",
}


def measure(task: Callable[[], object], repeat: int) -> Tuple[float, int]:
    """Best time of `repeat` runs (seconds), and the peak memory of one run (bytes)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        task()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    task()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def refuse(raw: bytes) -> Callable[[], str]:
    def task() -> str:
        try:
            load_yaml(raw, "hostile.yaml")
        except InputError as error:
            return str(error)
        raise SystemExit("not refused: the benchmark's documents must all be refused")

    return task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    example = (ROOT / "examples" / "pipeline-review.yaml").read_bytes()
    base_time, base_peak = measure(lambda: load_yaml(example, "pipeline-review.yaml"), args.repeat)
    print(f"baseline: reading pipeline-review.yaml ({len(example)} bytes): "
          f"{base_time * 1e3:.3f} ms, peak {base_peak / 1024:.0f} KiB")
    print(f"{'document':36} {'bytes':>9} {'ms':>9} {'x time':>8} {'peak KiB':>9} {'x memory':>9}  message")
    for name, raw in DOCUMENTS.items():
        message = refuse(raw)()
        seconds, peak = measure(refuse(raw), args.repeat)
        print(f"{name:36} {len(raw):9} {seconds * 1e3:9.3f} {seconds / base_time:8.1f} {peak / 1024:9.0f} "
              f"{peak / base_peak:9.1f}  {message.split(': ', 1)[1][:70]}")


if __name__ == "__main__":
    main()
