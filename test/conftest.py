import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# Tests import the source tree even when the package is not installed (colcon test, plain checkout).
sys.path.insert(0, str(REPO / "src"))


@pytest.fixture
def shared_data() -> Path:
    """../shared/data beside the clone (CI places it there); a test needing it fails loudly without it."""
    path = SHARED / "data"
    assert path.is_dir(), f"{path} is missing: the shared test data must sit beside the repository"
    return path
