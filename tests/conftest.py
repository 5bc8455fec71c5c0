from pathlib import Path

import pytest

from xisai.engine.evaluate import Engine

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()
