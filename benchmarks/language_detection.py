"""Accuracy and speed of meridian.languages.detect on short customer messages.

    python benchmarks/language_detection.py [--all-languages]

Each labelled message in data/language_detection.jsonl is detected twice: with no
candidates (the default language set, or every lingua language with --all-languages)
and restricted to the languages of a workspace that serves it, as the product does
once a workspace has configured its languages.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from meridian.languages.detect import detect_language, supported_languages, warm_up

DATA = Path(__file__).parent / "data" / "language_detection.jsonl"

# Typical workspaces: a company configures the handful of languages its teams serve.
WORKSPACES: dict[str, tuple[str, ...]] = {
    "americas": ("en", "es", "pt", "fr"),
    "europe": ("en", "de", "fr", "it", "nl", "pl", "sv", "es"),
    "eastern-europe": ("en", "ru", "uk", "pl", "tr"),
    "middle-east": ("en", "ar", "he", "fa", "tr", "fr"),
    "asia": ("en", "ja", "ko", "zh-Hans", "zh-Hant", "th", "vi", "id", "hi"),
}


@dataclass
class Tally:
    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reliable: int = 0
    reliable_right: int = 0
    seconds: float = 0.0

    def add(self, expected: str, got: str | None, reliable: bool) -> None:
        self.total[expected] += 1
        self.right[expected] += got == expected
        self.reliable += reliable
        self.reliable_right += reliable and got == expected

    def accuracy(self, language: str | None = None) -> float:
        if language is not None:
            return self.right[language] / self.total[language]
        return sum(self.right.values()) / sum(self.total.values())

    @property
    def count(self) -> int:
        return sum(self.total.values())


def run(samples: Sequence[tuple[str, str]], *, all_languages: bool) -> None:
    started = time.perf_counter()
    warm_up()
    print(f"default detector build (preloaded models): {time.perf_counter() - started:.2f} s")

    everything = supported_languages() if all_languages else None
    open_set, restricted = Tally(), Tally()
    # The first pass loads, lazily, the models the default detector did not preload (all
    # of them for --all-languages); only the second pass is timed and counted.
    for timed in (False, True):
        for text, expected in samples:
            started = time.perf_counter()
            found = detect_language(text, candidates=everything)
            if timed:
                open_set.seconds += time.perf_counter() - started
                open_set.add(expected, found.language, found.reliable)
            for languages in WORKSPACES.values():
                if expected not in languages:
                    continue
                started = time.perf_counter()
                found = detect_language(text, candidates=languages)
                if timed:
                    restricted.seconds += time.perf_counter() - started
                    restricted.add(expected, found.language, found.reliable)

    label = "all lingua languages" if all_languages else "default set"
    print(f"\n{'language':<10}{label:>22}{'workspace candidates':>24}")
    for language in sorted(open_set.total):
        print(f"{language:<10}{open_set.accuracy(language):>22.1%}{restricted.accuracy(language):>24.1%}")
    for name, tally in ((label, open_set), ("workspace candidates", restricted)):
        precision = tally.reliable_right / tally.reliable if tally.reliable else 0.0
        print(
            f"\n{name}: accuracy {tally.accuracy():.1%} over {tally.count} detections, "
            f"{tally.count / tally.seconds:,.0f} texts/s; "
            f"marked reliable {tally.reliable / tally.count:.1%} "
            f"(of which correct {precision:.1%})"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory: {peak:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all-languages", action="store_true")
    args = parser.parse_args()
    with DATA.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    run([(row["text"], row["language"]) for row in rows], all_languages=args.all_languages)


if __name__ == "__main__":
    main()
