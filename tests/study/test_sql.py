"""The SQL front end (zkgate.study.sql): accepted queries compile to the expected Question, refused
ones name the token, IN lists are normalised, recompile_matches catches a compiled question that
differs from its text, and the WHERE/GROUP BY semantics agree with SQLite on random rows."""

from __future__ import annotations

import random
import sqlite3

import pytest

from zkgate.study.errors import SpecError
from zkgate.study.question import Aggregate, And, Between, Compare, InSet, Not, Or, Question
from zkgate.study.sql import SqlError, compile_sql, recompile_matches, supported_functions
from zkgate.study.statistics import moments

SCHEMA_COLUMNS = (("age", 18, 90), ("sex", 0, 1), ("diagnosis", 1, 4), ("bmi", 15, 60), ("sbp", 80, 220),
                  ("cholesterol", 100, 400), ("delta", -20, 20))


@pytest.fixture(scope="module")
def schema():
    from zkgate.study.dataset import Schema

    return Schema.of(*SCHEMA_COLUMNS)


N = Aggregate("n", "COUNT", ())

ACCEPTED = [
    ("SELECT COUNT(*) AS n FROM patients", None, (), (N,)),
    ("select count(*) as n from patients where age >= 40", Compare("age", ">=", 40), (), (N,)),
    ("SELECT COUNT(*) n FROM p WHERE age <> 40", Compare("age", "<>", 40), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE age != 40", Compare("age", "<>", 40), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE 40 < age", Compare("age", ">", 40), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE 40 >= age", Compare("age", "<=", 40), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE delta = -5", Compare("delta", "=", -5), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE delta > -(5)", Compare("delta", ">", -5), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE delta BETWEEN -20 AND -1", Between("delta", -20, -1), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE diagnosis IN (3, 1, 3, 2)", InSet("diagnosis", (1, 2, 3)), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE diagnosis NOT IN (4)", Not(InSet("diagnosis", (4,))), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE age NOT BETWEEN 30 AND 40", Not(Between("age", 30, 40)), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE NOT (sex = 1)", Not(Compare("sex", "=", 1)), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE ((age > 30))", Compare("age", ">", 30), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE age > 30 AND sex = 1 AND (bmi < 25 AND sbp < 140)",
     And((Compare("age", ">", 30), Compare("sex", "=", 1), Compare("bmi", "<", 25), Compare("sbp", "<", 140))),
     (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE age > 30 OR sex = 1 AND bmi < 25",
     Or((Compare("age", ">", 30), And((Compare("sex", "=", 1), Compare("bmi", "<", 25))))), (), (N,)),
    ("SELECT COUNT(*) AS n FROM p WHERE age BETWEEN 40 AND 65 AND (sex = 1 OR diagnosis IN (2, 3))",
     And((Between("age", 40, 65), Or((Compare("sex", "=", 1), InSet("diagnosis", (2, 3)))))), (), (N,)),
    ("SELECT COUNT(*) AS n FROM patients AS p WHERE p.age > 30 AND patients.sex = 0",
     And((Compare("age", ">", 30), Compare("sex", "=", 0))), (), (N,)),
    ('SELECT COUNT(*) AS n FROM p WHERE "age" > 30 AND AGE < 50',
     And((Compare("age", ">", 30), Compare("age", "<", 50))), (), (N,)),
    ("SELECT diagnosis, COUNT(*) AS n FROM p GROUP BY diagnosis", None, ("diagnosis",), (N,)),
    ("SELECT sex, diagnosis, COUNT(*) AS n FROM p GROUP BY sex, diagnosis", None, ("sex", "diagnosis"), (N,)),
    ("SELECT COUNT(*) AS n, SUM(bmi) AS s, AVG(cholesterol) AS m FROM p", None, (),
     (N, Aggregate("s", "SUM", ("bmi",)), Aggregate("m", "AVG", ("cholesterol",)))),
    ("SELECT VAR_POP(sbp) AS a, VAR_SAMP(sbp) AS b, VARIANCE(sbp) AS c, STDDEV_POP(sbp) AS d, "
     "STDDEV_SAMP(sbp) AS e, STDDEV(sbp) AS f FROM p", None, (),
     (Aggregate("a", "VAR_POP", ("sbp",)), Aggregate("b", "VAR_SAMP", ("sbp",)), Aggregate("c", "VAR_SAMP", ("sbp",)),
      Aggregate("d", "STDDEV_POP", ("sbp",)), Aggregate("e", "STDDEV_SAMP", ("sbp",)),
      Aggregate("f", "STDDEV_SAMP", ("sbp",)))),
    ("SELECT COVAR_POP(age, bmi) AS a, COVAR_SAMP(age, bmi) AS b, CORR(age, cholesterol) AS r FROM p", None, (),
     (Aggregate("a", "COVAR_POP", ("age", "bmi")), Aggregate("b", "COVAR_SAMP", ("age", "bmi")),
      Aggregate("r", "CORR", ("age", "cholesterol")))),
    ("SELECT REGR_SLOPE(cholesterol, age) AS s, REGR_INTERCEPT(cholesterol, age) AS i, REGR_R2(cholesterol, age) AS "
     "r2, REGR_COUNT(cholesterol, age) AS c FROM p", None, (),
     (Aggregate("s", "REGR_SLOPE", ("cholesterol", "age")), Aggregate("i", "REGR_INTERCEPT", ("cholesterol", "age")),
      Aggregate("r2", "REGR_R2", ("cholesterol", "age")), Aggregate("c", "REGR_COUNT", ("cholesterol", "age")))),
    ("SELECT ols(cholesterol, age, bmi, sex) AS fit FROM p", None, (),
     (Aggregate("fit", "OLS", ("cholesterol", "age", "bmi", "sex")),)),
    ("SELECT HISTOGRAM(sbp, 80, 120, 140, 160, 221) AS h, HISTOGRAM(delta, -20, 0, 21) AS d FROM p", None, (),
     (Aggregate("h", "HISTOGRAM", ("sbp",), (80, 120, 140, 160, 221)),
      Aggregate("d", "HISTOGRAM", ("delta",), (-20, 0, 21)))),
    ("SELECT COUNT(*) AS n FROM p;", None, (), (N,)),
]


@pytest.mark.parametrize("text,predicate,group_by,aggregates", ACCEPTED, ids=range(len(ACCEPTED)))
def test_accepted(schema, text, predicate, group_by, aggregates):
    q = compile_sql(text, schema)
    assert q == Question(predicate, group_by, aggregates, text)
    assert recompile_matches(q, schema) == q
    # the readable form compiles back to the same question
    again = compile_sql(q.describe(), schema)
    assert (again.predicate, again.group_by, again.aggregates) == (predicate, group_by, aggregates)


def test_issue_example(schema):
    text = """SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS chol, CORR(age, cholesterol) AS r,
                     OLS(cholesterol, age, bmi) AS fit
              FROM patients WHERE age BETWEEN 40 AND 65 AND (sex = 1 OR diagnosis IN (2, 3)) GROUP BY diagnosis"""
    q = compile_sql(text, schema)
    assert q.group_by == ("diagnosis",)
    assert [a.alias for a in q.aggregates] == ["n", "chol", "r", "fit"]
    assert q.predicate == And((Between("age", 40, 65), Or((Compare("sex", "=", 1), InSet("diagnosis", (2, 3))))))
    assert q.sql == text
    assert Question.from_obj(q.to_obj()) == q


REFUSED = [
    ("SELECT COUNT(*) AS n FROM p WHERE age IS NULL", "IS NULL", "no NULLs"),
    ("SELECT COUNT(*) AS n FROM p WHERE age IS NOT NULL", "NULL", "no NULLs"),
    ("SELECT COUNT(*) AS n FROM p WHERE age = NULL", "NULL", "no NULLs"),
    ("SELECT COUNT(*) AS n FROM p JOIN q ON p.age = q.age", "JOIN", None),
    ("SELECT COUNT(*) AS n FROM p, q", "JOIN", None),
    ("SELECT diagnosis, COUNT(*) AS n FROM p GROUP BY diagnosis HAVING COUNT(*) > 5", "HAVING", None),
    ("SELECT COUNT(*) AS n FROM p ORDER BY n", "ORDER BY", None),
    ("SELECT COUNT(*) AS n FROM p LIMIT 1", "LIMIT", None),
    ("SELECT DISTINCT COUNT(*) AS n FROM p", "DISTINCT", None),
    ("SELECT COUNT(DISTINCT age) AS n FROM p", "DISTINCT", None),
    ("SELECT COUNT(*) AS n FROM p WHERE age IN (SELECT age FROM q)", "subquery", None),
    ("SELECT COUNT(*) AS n FROM (SELECT * FROM p) AS s", "subquery", None),
    ("WITH s AS (SELECT * FROM p) SELECT COUNT(*) AS n FROM s", "WITH", None),
    ("SELECT COUNT(*) AS n FROM p UNION SELECT COUNT(*) AS n FROM q", "UNION", None),
    ("SELECT COUNT(*) AS n FROM p WHERE sex = 'f'", "string literal 'f'", "integers"),
    ("SELECT COUNT(*) AS n FROM p WHERE age > 40.5", "40.5", "integers"),
    ("SELECT COUNT(*) AS n FROM p WHERE age > 1e2", "1e2", "integers"),
    ("SELECT COUNT(*) AS n FROM p WHERE age + 1 > 40", "'+'", "arithmetic"),
    ("SELECT AVG(age * 2) AS m FROM p", "'*'", "arithmetic"),
    ("SELECT COUNT(*) / 2 AS m FROM p", "'/'", "arithmetic"),
    ("SELECT MAX(age) AS m FROM p", "MAX", "unknown aggregate"),
    ("SELECT FOO(age) AS m FROM p", "FOO", "unknown aggregate"),
    ("SELECT PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY age) AS m FROM p", "WITHIN GROUP", None),
    ("SELECT COUNT(*) OVER () AS n FROM p", "OVER", None),
    ("SELECT AVG(age) FILTER (WHERE sex = 1) AS m FROM p", "FILTER", None),
    ("SELECT COUNT(*) AS n FROM p WHERE name LIKE 'a%'", "LIKE", None),
    ("SELECT CASE WHEN age > 50 THEN 1 ELSE 0 END AS old FROM p", "CASE", None),
    ("SELECT COUNT(*) AS n FROM p WHERE age = TRUE", "TRUE", None),
    ("SELECT COUNT(*) FROM p", "COUNT(*) needs a name", "AS"),
    ("SELECT AVG(age) FROM p", "AVG(age) needs a name", "AS"),
    ("SELECT COUNT(age) AS n FROM p", "COUNT(age)", "COUNT(*)"),
    ("SELECT * FROM p", "*", None),
    ("SELECT COUNT(*) AS n FROM p WHERE age = sex", "two columns", None),
    ("SELECT COUNT(*) AS n FROM p WHERE 1 = 1", "without a column", None),
    ("SELECT COUNT(*) AS n FROM p WHERE weight > 3", "unknown column 'weight'", "the schema has"),
    ("SELECT COUNT(*) AS n FROM p WHERE q.age > 3", "table 'q'", None),
    ("SELECT COUNT(*) AS n", "FROM", None),
    ("DELETE FROM p", "DELETE", "not a SELECT"),
    ("DROP TABLE p", "DROP", "not a SELECT"),
    ("SELECT COUNT(*) AS n FROM p; SELECT 1", "one SELECT statement", None),
    ("", "empty", None),
    ("SELECT COUNT(*) AS n FROM p WHERE (age > 3", "parse", None),
    ("SELECT sex, COUNT(*) AS n FROM p", "without GROUP BY", None),
    ("SELECT COUNT(*) AS n FROM p GROUP BY sex", "must be those of GROUP BY", None),
    ("SELECT diagnosis, sex, COUNT(*) AS n FROM p GROUP BY sex, diagnosis", "same order", None),
    ("SELECT COUNT(*) AS n, sex FROM p GROUP BY sex", "before the aggregates", None),
    ("SELECT sex AS s, COUNT(*) AS n FROM p GROUP BY sex", "cannot be renamed", None),
    ("SELECT sex, COUNT(*) AS n FROM p GROUP BY 1", "GROUP BY 1", "name the column"),
    ("SELECT sex, COUNT(*) AS n FROM p GROUP BY ROLLUP (sex)", "ROLLUP", None),
    ("SELECT COUNT(*) AS n FROM p WHERE age BETWEEN SYMMETRIC 50 AND 40", "SYMMETRIC", None),
    ("SELECT HISTOGRAM(age, 40, 50, age) AS h FROM p", "columns come first", None),
    ("SELECT OLS(age) AS f FROM p", "OLS(age)", "column"),
    ("SELECT CORR(age) AS r FROM p", "cannot parse", "Col: 16"),  # sqlglot refuses a missing argument
    ("SELECT COUNT(*) AS n FROM p WHERE age > 123456789012345678901234567890123456789012345", "digits", None),
]


@pytest.mark.parametrize("text,token,why", REFUSED, ids=range(len(REFUSED)))
def test_refused(schema, text, token, why):
    with pytest.raises(SqlError) as info:
        compile_sql(text, schema)
    msg = str(info.value)
    assert token in msg, msg
    if why:
        assert why in msg, msg


def test_refusal_lists_what_is_supported(schema):
    with pytest.raises(SqlError) as info:
        compile_sql("SELECT MAX(age) AS m FROM p", schema)
    msg = str(info.value)
    for f in supported_functions():
        assert f in msg
    for word in ("BETWEEN", "IN (...)", "GROUP BY", "COUNT(*)"):
        assert word in msg


@pytest.mark.parametrize("text,needle", [
    ("SELECT COUNT(*) AS n FROM p WHERE age > 100", "outside its declared range"),
    ("SELECT COUNT(*) AS n FROM p WHERE delta IN (-21, 0)", "outside its declared range"),
    ("SELECT COUNT(*) AS n FROM p WHERE age BETWEEN 50 AND 40", "empty"),
    ("SELECT COUNT(*) AS n FROM p WHERE age IN (" + ", ".join(str(18 + i) for i in range(17)) + ")", "IN"),
    ("SELECT age, COUNT(*) AS n FROM p GROUP BY age", "categorical"),
    ("SELECT COUNT(*) AS n, AVG(age) AS n FROM p", "distinct"),
    ("SELECT HISTOGRAM(age, 50, 40) AS h FROM p", "increase"),
    ("SELECT OLS(age, age) AS f FROM p", "distinct"),
])
def test_question_limits(schema, text, needle):
    with pytest.raises(SpecError) as info:
        compile_sql(text, schema)
    assert needle in str(info.value)


def test_function_outside_the_supported_set_is_refused_by_name(schema):
    with pytest.raises(SpecError) as info:
        compile_sql("SELECT MODE(age) AS m FROM p", schema)
    assert "MODE" in str(info.value)


def test_survival_and_quantile_forms(schema):
    q = compile_sql("SELECT MEDIAN(age) AS m, PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY cholesterol) AS p90, "
                    "PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY age) AS q1 FROM p", schema)
    assert [(a.function, a.columns, a.params) for a in q.aggregates] == [
        ("MEDIAN", ("age",), ()), ("PERCENTILE_CONT", ("cholesterol",), (9, 10)), ("PERCENTILE_CONT", ("age",), (1, 4))]
    for bad, needle in (("PERCENTILE_CONT(1.5) WITHIN GROUP (ORDER BY age)", "outside [0, 1]"),
                        ("PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY age DESC)", "ascending"),
                        ("PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY age)", "PERCENTILE_CONT")):
        with pytest.raises(SpecError) as info:
            compile_sql(f"SELECT {bad} AS x FROM p", schema)
        assert needle in str(info.value)


def test_in_normalised_and_bound(schema):
    a = compile_sql("SELECT COUNT(*) AS n FROM p WHERE diagnosis IN (3, 1, 3)", schema)
    b = compile_sql("SELECT COUNT(*) AS n FROM p WHERE diagnosis IN (1, 3)", schema)
    assert a.predicate == b.predicate == InSet("diagnosis", (1, 3))
    assert a.constants(schema) == b.constants(schema) == [1, 3]
    neg = compile_sql("SELECT COUNT(*) AS n FROM p WHERE delta IN (5, -20)", schema)
    assert neg.constants(schema) == [0, 25]  # stored units (offset -20)


def test_recompile_matches_refuses_a_different_question(schema):
    q = compile_sql("SELECT sex, AVG(cholesterol) AS m FROM p WHERE age BETWEEN 40 AND 65 GROUP BY sex", schema)
    forged = Question(Between("age", 40, 66), q.group_by, q.aggregates, q.sql)
    with pytest.raises(SqlError) as info:
        recompile_matches(forged, schema)
    assert "age BETWEEN 40 AND 66 vs age BETWEEN 40 AND 65" in str(info.value)
    swapped = Question(q.predicate, q.group_by, (Aggregate("m", "AVG", ("bmi",)),), q.sql)
    with pytest.raises(SqlError, match=r"AVG\(bmi\) AS m vs AVG\(cholesterol\) AS m"):
        recompile_matches(swapped, schema)
    ungrouped = Question(q.predicate, (), q.aggregates, q.sql)
    with pytest.raises(SqlError, match="GROUP BY"):
        recompile_matches(ungrouped, schema)
    broken = Question(q.predicate, q.group_by, q.aggregates, "SELECT nonsense")
    with pytest.raises(SqlError, match="does not compile"):
        recompile_matches(broken, schema)
    plain = Question(q.predicate, q.group_by, q.aggregates, "")
    assert recompile_matches(plain, schema) is plain  # no SQL text: nothing to recompile


def _random_rows(rng: random.Random, n: int) -> list[dict[str, int]]:
    return [{name: rng.randint(lo, hi) for name, lo, hi in SCHEMA_COLUMNS} for _ in range(n)]


SQLITE_QUERIES = [
    "SELECT COUNT(*) AS n, SUM(bmi) AS s FROM p WHERE age BETWEEN 40 AND 65 AND (sex = 1 OR diagnosis IN (2, 3))",
    "SELECT COUNT(*) AS n, SUM(delta) AS s FROM p WHERE NOT (age < 50 OR delta <> -3) OR bmi >= 40",
    "SELECT diagnosis, COUNT(*) AS n, SUM(sbp) AS s FROM p WHERE diagnosis NOT IN (1, 4) OR -5 > delta "
    "GROUP BY diagnosis",
    "SELECT sex, diagnosis, COUNT(*) AS n, SUM(cholesterol) AS s FROM p WHERE age NOT BETWEEN 30 AND 60 "
    "GROUP BY sex, diagnosis",
]


@pytest.mark.parametrize("text", SQLITE_QUERIES)
def test_semantics_agree_with_sqlite(schema, text):
    """The compiled question's plain truth equals what SQLite computes from the same SQL text."""
    rng = random.Random(19)
    rows = _random_rows(rng, 400)
    db = sqlite3.connect(":memory:")
    names = [c[0] for c in SCHEMA_COLUMNS]
    db.execute(f"CREATE TABLE p ({', '.join(n + ' INTEGER' for n in names)})")
    db.executemany(f"INSERT INTO p VALUES ({', '.join('?' * len(names))})", [[r[n] for n in names] for r in rows])
    q = compile_sql(text, schema)
    truth = moments.truth(q, schema, rows)
    got = db.execute(text).fetchall()
    k = len(q.group_by)
    if not k:
        (row,) = got
        assert [truth["n"].to_json(), truth["s"].to_json() if row[0] else None] == [row[0], row[1]]
        return
    seen = set()
    for row in got:
        label = "|".join(str(v) for v in row[:k])
        seen.add(label)
        assert truth["n"][label].to_json() == row[k]
        assert truth["s"][label].to_json() == row[k + 1]
    for label, v in truth["n"].items():  # cells SQLite leaves out are the empty ones
        assert label in seen or v.to_json() == 0


@pytest.mark.parametrize("text,needle", [
    ("SELECT COUNT(*) AS n FROM p WHERE " + "(" * 3000 + "age > 40" + ")" * 3000, "nested too deeply"),
    ("SELECT COUNT(*) AS n FROM p WHERE " + " AND ".join(["age > 40"] * 100), "more than 64 terms"),
    ("SELECT COUNT(*) AS n FROM p WHERE " + "NOT " * 100 + "age > 40", "more than 64 terms"),
    ("SELECT COUNT(*) AS n FROM p WHERE " + " OR ".join(["age > 40"] * 2000), "at most 16384"),
])
def test_oversized_input_is_refused(schema, text, needle):
    with pytest.raises(SqlError, match=needle):
        compile_sql(text, schema)


VOCABULARY = ("SELECT FROM WHERE GROUP BY AND OR NOT IN BETWEEN IS NULL AS ( ) , * = <> < <= > >= - + / age sex "
              "diagnosis bmi sbp delta p COUNT SUM AVG VAR_SAMP CORR OLS HISTOGRAM REGR_SLOPE STDDEV MEDIAN "
              "PERCENTILE_CONT WITHIN ORDER 1 2 40 65 0.5 'x' n m DISTINCT OVER CASE WHEN THEN END LIMIT HAVING "
              "JOIN ON ; TRUE x.age CAST INTEGER EXISTS ALL ANY ROLLUP UNION WITH LIKE FILTER").split()


def test_random_token_soup_never_crashes(schema):
    """Mutated and random statements either compile to a checked Question or are refused with a
    SpecError (SqlError): never another exception from an unexpected syntax tree."""
    rng = random.Random(2026)
    base = ("SELECT diagnosis, COUNT(*) AS n, AVG(cholesterol) AS c FROM patients WHERE age BETWEEN 40 AND 65 AND "
            "(sex = 1 OR diagnosis IN (2, 3)) GROUP BY diagnosis").split()
    compiled = 0
    for _ in range(1500):
        if rng.random() < 0.5:
            tokens = [rng.choice(VOCABULARY) for _ in range(rng.randint(1, 30))]
        else:
            tokens = list(base)
            for _ in range(rng.randint(1, 4)):
                j = rng.randrange(len(tokens))
                r = rng.random()
                if r < 0.33:
                    tokens[j] = rng.choice(VOCABULARY)
                elif r < 0.66:
                    tokens.insert(j, rng.choice(VOCABULARY))
                else:
                    del tokens[j]
        try:
            q = compile_sql(" ".join(tokens), schema)
        except SpecError:
            continue
        compiled += 1
        q.check(schema)
    assert compiled > 0
