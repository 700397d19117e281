"""The local parts of the role commands (no gateway): study requests, schemas, home folders."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from zkgate.cli import cli
from zkgate.services.parties.holder_home import HolderHome
from zkgate.services.parties.role_home import RoleHomeError
from zkgate.services.parties.study_request import StudyRequestError, build_request
from zkgate.services.wire import load_schema
from zkgate.study.errors import SchemaError
from zkgate.study.spec import Statistic

NO_OPTIONS = dict(title=None, participants=(), ranges=(), equals=(), stats=(), quorum=None, deadline=None,
                  deadline_in=None)


def test_request_from_file_with_options_overriding(tmp_path):
    path = tmp_path / "study.json"
    path.write_text(json.dumps({
        "title": "t", "participants": ["a", {"name": "b", "dataset": "3fa2"}],
        "filter": {"ranges": [{"column": "age", "min": 40, "max": 65}], "equals": [{"column": "sex", "value": 1}]},
        "statistics": [{"kind": "variance", "column": "chol"}, {"kind": "mean", "column": "chol"},
                       {"kind": "histogram", "column": "sbp", "edges": [80, 120, 201]}],
        "quorum": 2, "deadline_in": "2h",
    }))
    request = build_request(str(path), **NO_OPTIONS, now=1000)
    assert [(p.name, p.dataset) for p in request.participants] == [("a", ""), ("b", "3fa2")]
    assert request.statistics == (Statistic("sum", "chol"), Statistic("sum_sq", "chol"),
                                  Statistic("histogram", "sbp", (80, 120, 201)))
    assert request.deadline == 1000 + 7200 and request.quorum == 2
    options = {**NO_OPTIONS, "participants": ("c",), "quorum": 1, "deadline": 5000, "stats": ("sum:age",)}
    request = build_request(str(path), **options, now=1000)
    assert [p.name for p in request.participants] == ["c"] and request.statistics == (Statistic("sum", "age"),)
    assert request.deadline == 5000 and request.filter.ranges[0].column == "age"


@pytest.mark.parametrize("content, where", [
    ({"participants": ["a"], "statistics": [{"kind": "median", "column": "x"}]}, "unknown statistic kind 'median'"),
    ({"participants": ["a"], "filter": {"ranges": [{"column": "age", "min": "40", "max": 65}]}}, "filter.ranges[0].min"),
    ({"participants": ["a"], "colour": "blue"}, "unknown field(s) ['colour']"),
    ({"participants": ["a"], "deadline_in": "soon"}, "deadline_in"),
    ({"participants": ["a", "b"], "quorum": 3}, "quorum 3"),
    ({}, "name the participants"),
])
def test_request_errors_name_the_file_and_field(tmp_path, content, where):
    path = tmp_path / "study.json"
    path.write_text(json.dumps(content))
    with pytest.raises(StudyRequestError) as err:
        build_request(str(path), **NO_OPTIONS)
    assert where in str(err.value) and ("study.json" in str(err.value) or "quorum" in where)


def test_schema_file_errors_name_the_column():
    schema = load_schema({"columns": [{"name": "age", "min": 18, "max": 90}, {"name": "t", "min": -10, "max": 40}]}, "s.json")
    assert schema.column("t").offset == -10
    with pytest.raises(SchemaError, match=r"s.json: columns\[1\]: unknown field"):
        load_schema([{"name": "age", "min": 18, "max": 90}, {"name": "x", "lo": 1}], "s.json")
    with pytest.raises(SchemaError, match=r"s.json: columns\[0\]: .*empty"):
        load_schema([{"name": "age", "min": 90, "max": 18}], "s.json")


def test_holder_home_is_private_and_never_overwritten(tmp_path):
    home = tmp_path / "h"
    result = CliRunner().invoke(cli, ["holder", "init", "--home", str(home), "--org", "hospital-a", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["org"] == "hospital-a"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "signing.key").stat().st_mode) == 0o600
    again = CliRunner().invoke(cli, ["holder", "init", "--home", str(home), "--org", "hospital-a"])
    assert again.exit_code == 1 and "already holds" in again.output and "Traceback" not in again.output

    (home / "signing.key").chmod(0o644)
    with pytest.raises(RoleHomeError, match="readable by other users"):
        HolderHome.open(home).signing_key
    (home / "signing.key").chmod(0o600)
    (home / "role.json").write_text("{not json")
    shown = CliRunner().invoke(cli, ["holder", "show", "--home", str(home)])
    assert shown.exit_code == 1 and "role.json" in shown.output


def test_role_commands_are_listed():
    result = CliRunner().invoke(cli, ["--help"])
    for group in ("holder", "requester", "keyholder"):
        assert group in result.output
    for group, commands in (("holder", ("init", "register-dataset", "submit", "show")),
                            ("requester", ("create-study", "close", "circuit")),
                            ("keyholder", ("init", "release"))):
        out = CliRunner().invoke(cli, [group, "--help"]).output
        assert all(c in out for c in commands), out
