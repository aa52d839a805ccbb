"""Mutation fuzzing of the real models: load + run thousands of hostile .tflite files.

Each batch of mutated files runs in a subprocess under a memory limit and a timeout, so a crash
(signal), hang (timeout) or memory blow-up (MemoryError/abort under RLIMIT_AS) is caught and
reported with the file that caused it, which is kept under --keep.

    python tools/fuzz_models.py --count 100000 [--seed 1] [--keep fuzz_failures/]
"""
from __future__ import annotations

import argparse
import collections
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from interp.fuzz import mutate  # noqa: E402

MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "models"
# Small and medium models keep each run short; big ones (mobilenet_v2) are loaded too rarely to matter.
MAX_MODEL_BYTES = 700_000
MEMORY_LIMIT = 3 << 30


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_batch(files: list[Path], timeout: float) -> tuple[int, str]:
    try:
        p = subprocess.run([sys.executable, "-m", "interp.fuzz", *map(str, files)], capture_output=True,
                           text=True, timeout=timeout, preexec_fn=_limit,
                           cwd=Path(__file__).resolve().parent.parent)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        return -999, (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else str(e.stdout)


def fuzz(count: int, seed: int, batch: int, keep: Path | None, models_dir: Path = MODELS,
         timeout_per_file: float = 5.0) -> dict[str, int]:
    models = [p for p in sorted(models_dir.glob("*.tflite")) if p.stat().st_size <= MAX_MODEL_BYTES]
    rng = np.random.default_rng(seed)
    stats: collections.Counter[str] = collections.Counter()
    done = 0
    with tempfile.TemporaryDirectory() as tmp:
        while done < count:
            n = min(batch, count - done)
            files = []
            for i in range(n):
                src = models[int(rng.integers(len(models)))]
                path = Path(tmp) / f"{done + i:07d}_{src.stem}.tflite"
                path.write_bytes(mutate(src.read_bytes(), rng))
                files.append(path)
            rc, out = run_batch(files, timeout_per_file * n)
            for line in out.splitlines():
                word = line.split(" ", 1)[0]
                if word in ("ran", "rejected"):
                    stats[word] += 1
            if rc != 0:
                last_ok = {line.split(" ", 1)[1] for line in out.splitlines() if line.startswith(("ran ", "rejected "))}
                culprit = next((f for f in files if str(f) not in last_ok), files[-1])
                kind = {-999: "hang"}.get(rc, "bug" if rc == 3 else f"crash rc={rc}")
                stats[kind] += 1
                print(f"{kind}: {culprit.name}\n{out[-2000:]}", file=sys.stderr)
                if keep:
                    keep.mkdir(parents=True, exist_ok=True)
                    (keep / culprit.name).write_bytes(culprit.read_bytes())
                stats["files"] += len(last_ok) + 1
            else:
                stats["files"] += n
            for f in files:
                f.unlink(missing_ok=True)
            done += n
    return dict(stats)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    stats = fuzz(a.count, a.seed, a.batch, a.keep)
    print(stats)
    bad = sum(v for k, v in stats.items() if k not in ("ran", "rejected", "files"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
