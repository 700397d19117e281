"""Study requests asked in SQL (services/parties/study_request.py): the 'sql' field of a request
file and --sql, their conflicts with filter/statistics, and compilation against the participants'
schema."""

from __future__ import annotations

import json

import pytest

from zkgate.services.parties.study_request import StudyRequestError, build_request
from zkgate.study.errors import SpecError
from zkgate.study.patients import PATIENT_SCHEMA
from zkgate.study.question import Between
from zkgate.study.sql import SqlError

NO_OPTIONS = dict(title=None, participants=("a",), ranges=(), equals=(), stats=(), quorum=None, deadline=None,
                  deadline_in=None)
SQL = "SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS chol FROM patients WHERE age BETWEEN 40 AND 65 " \
      "GROUP BY diagnosis"


def test_sql_option(tmp_path):
    request = build_request(None, **NO_OPTIONS, sql=SQL, now=1000)
    assert request.sql == SQL and request.statistics == () and request.filter.ranges == ()
    assert request.title.startswith("SELECT diagnosis")
    q = request.question(PATIENT_SCHEMA)
    assert q.sql == SQL and q.predicate == Between("age", 40, 65) and q.group_by == ("diagnosis",)
    # --sql replaces the file's question
    path = tmp_path / "study.json"
    path.write_text(json.dumps({"title": "t", "participants": ["b"], "statistics": [{"kind": "sum", "column": "x"}]}))
    request = build_request(str(path), **{**NO_OPTIONS, "participants": ()}, sql=SQL, now=1000)
    assert request.sql == SQL and request.title == "t" and [p.name for p in request.participants] == ["b"]
    assert request.statistics == ()


def test_sql_in_the_request_file(tmp_path):
    path = tmp_path / "study.json"
    path.write_text(json.dumps({"title": "t", "participants": ["a", "b"], "sql": SQL, "quorum": 2}))
    request = build_request(str(path), **{**NO_OPTIONS, "participants": ()}, now=1000)
    assert request.sql == SQL and request.quorum == 2
    assert request.question(PATIENT_SCHEMA).aggregates[1].function == "AVG"


def test_filter_request_has_no_sql_question():
    request = build_request(None, **{**NO_OPTIONS, "stats": ("sum:age",)}, now=1000)
    assert request.sql == "" and request.question(PATIENT_SCHEMA) is None


@pytest.mark.parametrize("content, options, needle", [
    ({"participants": ["a"], "sql": SQL, "filter": {}}, {}, "not both"),
    ({"participants": ["a"], "sql": SQL}, {"stats": ("sum:age",)}, "--range/--equals/--stat"),
    ({"participants": ["a"], "sql": 3}, {}, "'sql' must be a non-empty string"),
    ({"participants": ["a"]}, {"sql": SQL, "ranges": ("age:1:2",)}, "not both"),
    ({"participants": ["a"]}, {"sql": "  "}, "empty"),
])
def test_conflicts_are_refused(tmp_path, content, options, needle):
    path = tmp_path / "study.json"
    path.write_text(json.dumps(content))
    with pytest.raises(StudyRequestError, match=needle):
        build_request(str(path), **{**NO_OPTIONS, "participants": (), **options})


def test_compilation_errors_name_the_token():
    request = build_request(None, **NO_OPTIONS, sql="SELECT COUNT(*) AS n FROM p WHERE age IS NULL", now=1000)
    with pytest.raises(SqlError, match="no NULLs"):
        request.question(PATIENT_SCHEMA)
    request = build_request(None, **NO_OPTIONS, sql="SELECT COUNT(*) AS n FROM p WHERE age > 200", now=1000)
    with pytest.raises(SpecError, match="outside its declared range"):
        request.question(PATIENT_SCHEMA)
