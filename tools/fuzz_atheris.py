"""Coverage-guided fuzzing of the loader and executor with atheris (pip install atheris).

    python tools/fuzz_atheris.py [corpus_dir] -atheris_runs=100000

Seeds the corpus with the bundled model; any exception other than InterpError is a finding.
"""
from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from interp import default_model
    from interp.fuzz import check_file


def test_one_input(data: bytes) -> None:
    check_file(data)


def main() -> None:
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    if corpus:
        seed = Path(corpus[0]) / "default.tflite"
        seed.parent.mkdir(parents=True, exist_ok=True)
        seed.write_bytes(default_model.build())
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
