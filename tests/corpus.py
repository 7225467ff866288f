"""The replay corpus: recorded histories in tests/histories/, encrypted as production encrypts them
(the production data converter and codec) under a key that exists for these tests only.

Written by `python -m tests.record_histories`; replayed by tests/test_replay.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.client import WorkflowHistory
    from temporalio.converter import DataConverter

HISTORIES = Path(__file__).parent / "histories"

# TEST ONLY. This key encrypts the recorded histories in tests/histories/ and nothing else. It is
# committed on purpose so that CI can decrypt the corpus; it must never be configured anywhere a
# real case lives (production keys come from CONDUCT_ENCRYPTION_KEYS, see README "Configuration").
TEST_ONLY_KEY = "test-only-corpus:Ejga310tKmq5v3VskODdLQtjRIyxjYsqWeIztdkuZU8="

LEGACY = frozenset({"full_hearing.json"})
"""Written by the workflow before this corpus (unencrypted): tests/test_history_models.py decodes
its payloads as an older version wrote them. Not replayed: the workflow changed incompatibly once,
before any council ran a case, and the corpus was recorded anew."""


def converter() -> DataConverter:
    """The production converter and codec (`starter.client.data_converter`) with the test key."""
    from conduct.settings import Settings
    from starter.client import data_converter

    # The ring alone: the corpus decodes with its test key and nothing else (per-case data keys
    # live in a register, and a checkout has none; tests/test_retention.py covers them).
    settings = Settings(encryption_keys=TEST_ONLY_KEY, _env_file=None)  # type: ignore[call-arg]
    return data_converter(settings, per_case_keys=False)


def path_for(name: str) -> Path:
    return HISTORIES / f"{name}.json"


def recorded() -> list[Path]:
    """Every corpus file, in name order."""
    return sorted(p for p in HISTORIES.glob("*.json") if p.name not in LEGACY)


def load(path: Path) -> WorkflowHistory:
    from temporalio.client import WorkflowHistory

    return WorkflowHistory.from_json(f"corpus-{path.stem}", path.read_text())
