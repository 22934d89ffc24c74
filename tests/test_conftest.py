"""The suite's own collection rules: what is left out is reported, with its reason."""

import shutil
import subprocess
import sys
from pathlib import Path


def test_array_api_deselection_is_reported(tmp_path):
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(
        "def test_check_array_api_input():\n    pass\n\n\ndef test_other():\n    pass\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 1 deselected" in run.stdout
    assert "1 sklearn array API checks: the selector computes on numpy arrays" in run.stdout
