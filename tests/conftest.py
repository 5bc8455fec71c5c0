import shutil
import sys
from pathlib import Path

import pytest

from xisai.engine.evaluate import Engine

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


def xisai() -> list[str]:
    """The installed console script, as a user runs it (a test skips when it is absent)."""
    script = Path(sys.executable).with_name("xisai")
    if script.exists():
        return [str(script)]
    found = shutil.which("xisai")
    if not found:
        pytest.skip("the xisai console script is not installed")
    return [found]
