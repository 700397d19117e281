"""`zkgate demo` through pipes (CI, `| tee`): results on stdout, progress on stderr, whole lines.

Regressions of issue 15 (log lines cut at 80 columns: "embedded gateway on 127.0.0.1:36673 (SQLite in")
and issue 16 (everything, tables included, on stderr; stdout empty).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # a whole study over gRPC: ~20-40 s per run on 2 cores

DEMO = [sys.executable, "-m", "zkgate", "demo", "--hospitals", "2", "--records", "16", "--chunk", "8"]


def _run(args: list[str], tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE")}
    return subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL)


def test_demo_results_on_stdout_whole_progress_lines_on_stderr(tmp_path):
    out = _run(DEMO, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    # results: the tables and the verdict on stdout
    assert "released over gRPC" in out.stdout
    assert "Time per phase" in out.stdout
    # the richer default study (issues 19/20): GROUP BY diagnosis, the histogram and the survival curves drawn
    assert "n [diagnosis = 1]" in out.stdout and "chol_fit [diagnosis = 4]" in out.stdout
    assert "sbp_hist: histogram of sbp (all groups)" in out.stdout and "█" in out.stdout
    assert "survival: Kaplan-Meier survival S(t)" in out.stdout and "1 hypertension" in out.stdout
    assert "VERIFIED" in out.stdout and "FAILED" not in out.stdout
    assert "released over gRPC" not in out.stderr and "VERIFIED" not in out.stderr
    # progress on stderr, each step one whole line even though it is longer than 80 columns
    line = next((ln for ln in out.stderr.splitlines() if "embedded gateway on" in ln), None)
    assert line is not None, out.stderr
    assert re.search(r"embedded gateway on 127\.0\.0\.1:\d+ \(SQLite in \S+, dev mode\)$", line), line
    assert len(line) > 80  # the case that used to be cut
    assert any(ln.endswith("published") for ln in out.stderr.splitlines()), out.stderr
    assert "regulator verified the record (OK) and the audit log" in out.stderr
    assert "\x1b[" not in out.stdout + out.stderr  # no terminal escape codes into a pipe


def test_demo_json_is_the_only_thing_on_stdout(tmp_path):
    out = _run([*DEMO, "--json", "--report", "report.html"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)  # exactly one JSON object, nothing else
    assert result["verified"] is True and result["released"] == result["truth"]
    assert "GROUP BY diagnosis" in result["sql"] and set(result["released"]["survival"]) >= {"logrank"}
    assert "released over gRPC" in out.stderr  # the human-readable tables moved aside
    page = (tmp_path / "report.html").read_text(encoding="utf-8")  # --report: the self-contained HTML report
    assert page.startswith("<!DOCTYPE html>") and "VERIFIED" in page and "<script" not in page
    assert page.count("<svg") >= 5 and "survival (95% CI)" in page
    assert "HTML report written to report.html" in out.stderr
