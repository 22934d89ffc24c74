"""Every script in examples/ runs (smoke test; the scripts print their results)."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, capsys):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    runpy.run_path(str(path), run_name="__main__")
    plt.close("all")
    assert capsys.readouterr().out.strip()


def test_readme_ten_lines_print_what_they_promise(capsys):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Ten lines", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    assert len(block.strip().splitlines()) <= 11
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    promised = block.split("# the five informative features: ", 1)[1].splitlines()[0]
    assert out[0] == promised
    # The whole path, untruncated: a header and one row per selected feature.
    assert not any("..." in line for line in out)
    assert out[1].split() == ["n_features", "feature", "feature_name", "delta_subset_to_target",
                              "delta_target_to_subset", "objective",
                              "delta_subset_to_target_std", "delta_target_to_subset_std"]
    assert len(out) == 2 + 5
