"""The SQL front end: a subset of SQL compiled into a :class:`~zkgate.study.question.Question`.

Parsed with `sqlglot <https://github.com/tobymao/sqlglot>`_ (pinned in pyproject.toml; zkgate
has no SQL parser of its own), then walked node by node: everything outside the subset below is
refused with a :class:`SqlError` that names the token and lists what is supported.

Supported::

    SELECT [group columns,] AGG(args) AS alias, ...
    FROM <one table>
    [WHERE <predicate>]
    [GROUP BY <1 or 2 columns>]

* predicate: ``= <> != < <= > >=``, ``BETWEEN lo AND hi``, ``IN (v1, v2, ...)``, ``NOT``,
  ``AND``, ``OR`` and parentheses, each comparing an integer column with an integer constant
  (negative too; ``5 < age`` is read as ``age > 5``).  ``IN`` lists are normalised to sorted
  distinct values;
* aggregates: the functions of the statistics registry (:func:`supported_functions`):
  ``COUNT(*)``, ``SUM``, ``AVG``, ``VAR_POP``/``VAR_SAMP`` (``VARIANCE``), ``STDDEV_POP``/``STDDEV_SAMP``
  (``STDDEV``), ``COVAR_POP``, ``COVAR_SAMP``, ``CORR``, ``REGR_SLOPE``/``REGR_INTERCEPT``/``REGR_R2``/
  ``REGR_COUNT`` (dependent variable first, as in SQL), ``OLS(y, x1, ..., xk)`` and
  ``HISTOGRAM(x, e0, e1, ...)``: columns first, then integer parameters.  Every aggregate is named
  with ``AS``;
* the group columns listed in SELECT are exactly those of GROUP BY, in the same order.

There are no NULLs (every column of every record holds an integer in its declared range), so
``IS NULL`` is refused, as are joins, ``HAVING``, ``ORDER BY``, ``LIMIT``, subqueries, ``DISTINCT``,
window functions, string and decimal literals, arithmetic and unknown functions.

The compiled question is the authority of a study; the SQL text travels beside it in
``Question.sql`` for people to read.  Holders and verifiers call :func:`recompile_matches`, which
compiles the text again and refuses a question that differs from it, naming the difference.

Extension hook: a kind whose SQL call has another shape (``PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY
x)``, ``MEDIAN(x)``, ``KAPLAN_MEIER(t, e, bins)``) registers a reader with :func:`register_form`,
keyed by the sqlglot expression class or by the upper-case function name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from zkgate.study.dataset import Schema
from zkgate.study.errors import SpecError
from zkgate.study.question import (
    MAX_PREDICATE_NODES,
    Aggregate,
    And,
    Between,
    Compare,
    InSet,
    Not,
    Or,
    Predicate,
    Question,
    describe,
)
from zkgate.study.statistics import registry

MAX_SQL_BYTES = 16384  # the limit of Question.sql in the canonical form
MAX_NESTING = 64  # levels of parentheses (a question has at most 64 predicate nodes anyway)
MAX_LITERAL_CHARACTERS = 40  # |v| < 2^62 for any declared range
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_INTEGER = re.compile(r"^[0-9]+$")


class SqlError(SpecError):
    """A SQL question outside the supported subset, or one that does not match its compiled form."""


def supported_functions() -> list[str]:
    """The aggregate functions a question may call: the statistics registry's, less the kinds whose
    moments the contribution circuit does not prove yet."""
    return [f for f in registry.functions() if getattr(registry.kind(f), "provable", True)]


def supported() -> str:
    """What the subset accepts, in one paragraph (appended to every refusal)."""
    funcs = ", ".join("COUNT(*)" if f == "COUNT" else f for f in supported_functions())
    return ("supported: SELECT [group columns,] AGGREGATE(...) AS alias, ... FROM <one table> [WHERE predicate] "
            "[GROUP BY 1 or 2 columns]; predicates: = <> < <= > >= BETWEEN IN (...) NOT AND OR and parentheses "
            "comparing an integer column with an integer constant; aggregates: " + funcs)


def _refuse(what: str, why: str = "") -> SqlError:
    return SqlError(f"{what}{': ' + why if why else ' is not supported'}; {supported()}")


# -- naming the offending token ---------------------------------------------------------------------

_OPERATORS: dict[str, str] = {
    "Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "IntDiv": "DIV", "Mod": "%", "Pow": "POWER",
    "DPipe": "||", "BitwiseAnd": "&", "BitwiseOr": "|", "BitwiseXor": "^", "BitwiseLeftShift": "<<",
    "BitwiseRightShift": ">>", "BitwiseNot": "~",
}


def _fragment(node: exp.Expression) -> str:
    try:
        text = node.sql()
    except Exception:  # noqa: BLE001 (naming the node is best effort)
        text = node.key
    return text if len(text) <= 80 else text[:77] + "..."


def _unsupported(node: exp.Expression, where: str) -> SqlError:
    """A refusal naming ``node``'s token, for the places where only some expressions are allowed."""
    name = type(node).__name__
    frag = _fragment(node)
    if isinstance(node, exp.Null) or (isinstance(node, exp.Is) and isinstance(node.expression, exp.Null)):
        return _refuse(f"{frag} in {where}", "there are no NULLs (every column of every record holds an integer "
                                              "in its declared range)")
    if isinstance(node, exp.Literal) and node.is_string:
        return _refuse(f"string literal {frag} in {where}", "columns and constants are integers")
    if isinstance(node, exp.Literal):
        return _refuse(f"constant {frag} in {where}", "constants are integers (no decimal point or exponent)")
    if isinstance(node, exp.Boolean):
        return _refuse(f"{frag} in {where}", "write a comparison of a column with an integer constant")
    if name in _OPERATORS:
        return _refuse(f"arithmetic {_OPERATORS[name]!r} in {frag} ({where})",
                       "columns are compared and aggregated as they are, without arithmetic")
    if isinstance(node, (exp.Subquery, exp.Select, exp.Exists, exp.Union)):
        return _refuse(f"subquery {frag} in {where}")
    if isinstance(node, exp.Window):
        return _refuse(f"window function (OVER) {frag} in {where}")
    if isinstance(node, exp.Star):
        return _refuse(f"* in {where}", "name the group columns and the aggregates")
    if isinstance(node, exp.Like):
        return _refuse(f"LIKE in {frag} ({where})")
    if isinstance(node, exp.Case):
        return _refuse(f"CASE in {frag} ({where})")
    if isinstance(node, exp.Cast):
        return _refuse(f"CAST in {frag} ({where})")
    if isinstance(node, exp.Func):
        return _refuse(f"function {node.sql_name() if not isinstance(node, exp.Anonymous) else node.name.upper()} "
                       f"in {frag} ({where})")
    return _refuse(f"{node.key.upper()} ({frag}) in {where}")


# -- the statement --------------------------------------------------------------------------------

_SELECT_CLAUSES = {
    "with_": "WITH", "kind": "SELECT AS STRUCT/VALUE", "hint": "hints", "distinct": "DISTINCT", "into": "INTO",
    "operation_modifiers": "SELECT modifiers", "exclude": "EXCLUDE", "match": "MATCH_RECOGNIZE",
    "laterals": "LATERAL", "joins": "JOIN (one table only)", "connect": "CONNECT BY", "pivots": "PIVOT",
    "prewhere": "PREWHERE", "having": "HAVING", "qualify": "QUALIFY", "windows": "WINDOW",
    "distribute": "DISTRIBUTE BY", "sort": "SORT BY", "cluster": "CLUSTER BY", "order": "ORDER BY",
    "limit": "LIMIT", "offset": "OFFSET", "locks": "FOR UPDATE/SHARE", "sample": "TABLESAMPLE",
    "settings": "SETTINGS", "format": "FORMAT", "options": "OPTIONS", "for_": "FOR",
}
_ALLOWED_SELECT = {"expressions", "from_", "where", "group"}


def _parse(text: str) -> exp.Select:
    if type(text) is not str:
        raise SqlError("the question must be SQL text")
    if len(text.encode()) > MAX_SQL_BYTES:
        raise SqlError(f"the SQL text is {len(text.encode())} bytes; at most {MAX_SQL_BYTES}")
    if not text.strip():
        raise SqlError("the SQL text is empty; " + supported())
    depth = deepest = 0
    for ch in text:  # parentheses counted before parsing: the parser recurses per level
        depth += 1 if ch == "(" else -1 if ch == ")" else 0
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise SqlError(f"the SQL is nested too deeply: {deepest} levels of parentheses; at most {MAX_NESTING}")
    try:
        statements = [s for s in sqlglot.parse(text) if s is not None]
    except SqlglotError as exc:
        raise SqlError(f"cannot parse the SQL: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise SqlError("the SQL is nested too deeply") from None
    if len(statements) != 1:
        raise SqlError(f"give one SELECT statement, got {len(statements)}")
    stmt = statements[0]
    if isinstance(stmt, (exp.Union, exp.Intersect, exp.Except)):
        raise _refuse(f"{stmt.key.upper()} of several SELECTs")
    if not isinstance(stmt, exp.Select):
        raise _refuse(f"{_fragment(stmt)!r}", "not a SELECT statement (a question is one SELECT)")
    clauses = [_SELECT_CLAUSES.get(key, key.upper()) for key, value in stmt.args.items()
               if value and key not in _ALLOWED_SELECT]
    if clauses:
        raise _refuse(", ".join(clauses), "not supported")
    return stmt


@dataclass
class _Context:
    schema: Schema
    table: str
    table_alias: str

    def column(self, node: exp.Expression, where: str) -> str:
        if isinstance(node, exp.Paren):
            return self.column(node.this, where)
        if not isinstance(node, exp.Column) or not isinstance(node.this, exp.Identifier):
            raise _unsupported(node, where)
        if node.args.get("catalog") or node.args.get("db"):
            raise _refuse(f"qualified column {_fragment(node)} in {where}", "name the column, or table.column")
        qual = node.table
        if qual and qual.lower() not in (self.table.lower(), self.table_alias.lower()):
            raise SqlError(f"column {_fragment(node)} in {where} refers to table {qual!r}; the question reads one "
                           f"table, {self.table!r}")
        name = node.name
        if name in self.schema.names:
            return name
        folded = [c for c in self.schema.names if c.lower() == name.lower()]
        if len(folded) == 1 and not node.this.quoted:
            return folded[0]
        raise SqlError(f"unknown column {name!r} in {where}; the schema has {', '.join(self.schema.names)}")


def _table(stmt: exp.Select) -> tuple[str, str]:
    src = stmt.args.get("from_")
    if src is None:
        raise SqlError("FROM <table> is missing; " + supported())
    table = src.this
    if isinstance(table, exp.Subquery) or isinstance(table, exp.Select):
        raise _refuse(f"subquery in FROM ({_fragment(table)})")
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        raise _refuse(f"FROM {_fragment(table)}", "name one table")
    for key, value in table.args.items():
        if value and key not in ("this", "alias", "db", "catalog"):
            raise _refuse(f"{key.upper()} in FROM {_fragment(table)}")
    alias = table.args.get("alias")
    if alias is not None and alias.args.get("columns"):
        raise _refuse(f"column aliases in FROM {_fragment(table)}")
    return table.name, (alias.name if alias is not None else "")


# -- literals and predicates ----------------------------------------------------------------------

def _integer(node: exp.Expression, where: str) -> int:
    sign = 1
    while isinstance(node, (exp.Neg, exp.Paren)):
        if isinstance(node, exp.Neg):
            sign = -sign
        node = node.this
    if not isinstance(node, exp.Literal) or node.is_string or not _INTEGER.match(str(node.this)):
        raise _unsupported(node, where)
    text = str(node.this)
    if len(text) > MAX_LITERAL_CHARACTERS:
        raise SqlError(f"the constant {text[:20]}... in {where} has more than {MAX_LITERAL_CHARACTERS} digits")
    return sign * int(text)


def _is_column(node: exp.Expression) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Column)


_COMPARE = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
_FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _predicate(node: exp.Expression, ctx: _Context, budget: list[int]) -> Predicate:
    budget[0] -= 1
    if budget[0] < 0:
        raise SqlError(f"the WHERE clause has more than {MAX_PREDICATE_NODES} terms")
    where = "WHERE"
    if isinstance(node, exp.Paren):
        budget[0] += 1
        return _predicate(node.this, ctx, budget)
    if isinstance(node, (exp.And, exp.Or)):
        cls = type(node)
        terms: list[Predicate] = []

        def flatten(n: exp.Expression) -> None:
            while isinstance(n, exp.Paren):
                n = n.this
            if type(n) is cls:
                flatten(n.this)
                flatten(n.expression)
            else:
                terms.append(_predicate(n, ctx, budget))

        flatten(node)
        return And(tuple(terms)) if cls is exp.And else Or(tuple(terms))
    if isinstance(node, exp.Not):
        return Not(_predicate(node.this, ctx, budget))
    if type(node) in _COMPARE:
        op = _COMPARE[type(node)]
        left, right = node.this, node.expression
        if _is_column(left) and _is_column(right):
            raise _refuse(f"comparison of two columns {_fragment(node)}", "compare a column with an integer constant")
        if not _is_column(left) and _is_column(right):
            left, right, op = right, left, _FLIP[op]
        if not _is_column(left):
            for side in (node.this, node.expression):
                _integer(side, f"{where} {_fragment(node)}")  # names an expression that is not a constant
            raise _refuse(f"comparison {_fragment(node)} without a column", "compare a column with an integer constant")
        return Compare(ctx.column(left, where), op, _integer(right, f"{where} {_fragment(node)}"))
    if isinstance(node, exp.Between):
        if node.args.get("symmetric"):
            raise _refuse(f"BETWEEN SYMMETRIC in {_fragment(node)}")
        frag = f"{where} {_fragment(node)}"
        return Between(ctx.column(node.this, where), _integer(node.args["low"], frag),
                       _integer(node.args["high"], frag))
    if isinstance(node, exp.In):
        if node.args.get("query") is not None:
            raise _refuse(f"subquery in {_fragment(node)}")
        for key, value in node.args.items():
            if value and key not in ("this", "expressions"):
                raise _refuse(f"{key.upper()} in {_fragment(node)}")
        frag = f"{where} {_fragment(node)}"
        values = sorted({_integer(v, frag) for v in node.expressions})
        return InSet(ctx.column(node.this, where), tuple(values))
    raise _unsupported(node, where)


# -- aggregates -----------------------------------------------------------------------------------

#: sqlglot expression classes whose SQL name differs from the registry's function name.
_FUNCTION_NAMES: dict[str, str] = {"VariancePop": "VAR_POP", "Variance": "VAR_SAMP", "Stddev": "STDDEV_SAMP"}

#: A reader turns one aggregate call into ``(function, columns, params)``.
Reader = Callable[[exp.Expression, "_Context"], tuple[str, tuple[str, ...], tuple[int, ...]]]
_FORMS: dict[object, Reader] = {}


def register_form(key: type | str, reader: Reader) -> None:
    """Read aggregate calls of another shape: ``key`` is a sqlglot expression class (e.g.
    ``exp.WithinGroup`` for ``PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x)``) or an upper-case function
    name (e.g. ``"KAPLAN_MEIER"``); ``reader(node, ctx)`` returns ``(function, columns, params)`` and
    uses ``ctx.column(node, where)`` to resolve column names.  The function must be in the registry."""
    if key in _FORMS:
        raise ValueError(f"a reader for {key!r} is already registered")
    _FORMS[key] = reader


def function_name(node: exp.Func) -> str:
    """The registry's name of a sqlglot function call (upper case)."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).upper()
    return _FUNCTION_NAMES.get(type(node).__name__, node.sql_name().upper())


def _call_arguments(node: exp.Func) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    out: list[exp.Expression] = []
    for key in type(node).arg_types:
        value = node.args.get(key)
        if isinstance(value, exp.Expression):
            out.append(value)
        elif isinstance(value, list):
            out += [v for v in value if isinstance(v, exp.Expression)]
    return out


def _plain_call(node: exp.Func, ctx: _Context) -> tuple[str, tuple[str, ...], tuple[int, ...]]:
    """``F(col, ..., col, int, ..., int)``: columns first, then integer parameters."""
    name = function_name(node)
    frag = _fragment(node)
    if name == "COUNT":
        arg = node.this
        if isinstance(arg, exp.Distinct):
            raise _refuse(f"DISTINCT in {frag}")
        if not isinstance(arg, exp.Star) or _call_arguments(node)[1:]:
            raise _refuse(frag, "write COUNT(*): there are no NULLs, so COUNT(column) would count the same records")
        return "COUNT", (), ()
    columns: list[str] = []
    params: list[int] = []
    for arg in _call_arguments(node):
        if isinstance(arg, exp.Distinct):
            raise _refuse(f"DISTINCT in {frag}")
        if _is_column(arg):
            if params:
                raise SqlError(f"{frag}: columns come first, then the integer parameters")
            columns.append(ctx.column(arg, frag))
        else:
            params.append(_integer(arg, frag))
    return name, tuple(columns), tuple(params)


def _aggregate(item: exp.Expression, ctx: _Context) -> Aggregate:
    if not isinstance(item, exp.Alias):
        raise SqlError(f"{_fragment(item)} needs a name: write {_fragment(item)} AS name (every result is "
                       "published under its alias)")
    alias_node = item.args.get("alias")
    alias = alias_node.name if alias_node is not None else ""
    if not _ALIAS.match(alias):
        raise SqlError(f"alias {alias!r}: use 1-64 letters, digits or '_', not starting with a digit")
    node = item.this
    while isinstance(node, exp.Paren):
        node = node.this
    reader = _FORMS.get(type(node))
    if reader is None and isinstance(node, exp.Func):
        reader = _FORMS.get(function_name(node))
    if reader is not None:
        name, columns, params = reader(node, ctx)
    else:
        if isinstance(node, exp.Filter):
            raise _refuse(f"FILTER (WHERE ...) in {_fragment(node)}", "put the condition in the WHERE clause")
        if isinstance(node, exp.WithinGroup):
            raise _refuse(f"WITHIN GROUP in {_fragment(node)}")
        if (not isinstance(node, exp.Func) or isinstance(node, (exp.Window, exp.Case, exp.Cast, exp.If))
                or type(node).__name__ in _OPERATORS):
            raise _unsupported(node, f"the SELECT item {alias}")
        name = function_name(node)
        if name not in registry.functions():
            raise _refuse(f"function {name} ({_fragment(node)})", "unknown aggregate")
        name, columns, params = _plain_call(node, ctx)
    if name not in registry.functions():
        raise _refuse(f"function {name} ({_fragment(node)})", "unknown aggregate")
    agg = Aggregate(alias, name, columns, params)
    try:
        registry.kind(name).check(agg, ctx.schema)
    except SpecError as exc:
        raise SqlError(f"{_fragment(node)}: {exc}") from None
    return agg


def _percentile_within_group(node: exp.WithinGroup, ctx: _Context) -> tuple[str, tuple[str, ...], tuple[int, ...]]:
    """``PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x)``: p a decimal literal in [0, 1], kept exact as
    the fraction (num, den); one ascending ORDER BY column."""
    frag = _fragment(node)
    inner = node.this
    if not isinstance(inner, exp.PercentileCont):
        raise _refuse(f"WITHIN GROUP in {frag}", "only PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY column)")
    lit = inner.this
    text = lit.name if isinstance(lit, exp.Literal) and not lit.is_string else ""
    if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,12})?", text):
        raise SqlError(f"{frag}: the percentile must be a decimal literal in [0, 1], like 0.9")
    p = Fraction(text)
    if not 0 <= p <= 1:
        raise SqlError(f"{frag}: the percentile {text} is outside [0, 1]")
    order = node.expression
    items = order.expressions if isinstance(order, exp.Order) else []
    if len(items) != 1 or not isinstance(items[0], exp.Ordered) or items[0].args.get("desc"):
        raise SqlError(f"{frag}: write WITHIN GROUP (ORDER BY column), one column, ascending")
    return "PERCENTILE_CONT", (ctx.column(items[0].this, frag),), (p.numerator, p.denominator)


register_form(exp.WithinGroup, _percentile_within_group)


# -- compile --------------------------------------------------------------------------------------

def compile_sql(text: str, schema: Schema) -> Question:
    """Compile ``text`` into a checked :class:`Question` over ``schema`` (``Question.sql`` keeps the
    text).  Raises :class:`SqlError` (a :class:`~zkgate.study.errors.SpecError`) naming the token for
    anything outside the subset, and ``Question.check``'s errors (constants outside a declared range,
    limits) as :class:`SpecError`."""
    stmt = _parse(text)
    table, table_alias = _table(stmt)
    ctx = _Context(schema, table, table_alias)

    group: list[str] = []
    g = stmt.args.get("group")
    if g is not None:
        for key, value in g.args.items():
            if value and key != "expressions":
                raise _refuse(f"GROUP BY {key.upper()}")
        for e in g.expressions:
            if isinstance(e, exp.Literal) and not e.is_string:
                raise _refuse(f"GROUP BY {_fragment(e)}", "name the column")
            if not _is_column(e):
                raise _unsupported(e, "GROUP BY")
            group.append(ctx.column(e, "GROUP BY"))

    selected_groups: list[str] = []
    aggregates: list[Aggregate] = []
    for item in stmt.expressions:
        if _is_column(item):
            if aggregates:
                raise SqlError(f"SELECT: list the group column {_fragment(item)} before the aggregates")
            selected_groups.append(ctx.column(item, "SELECT"))
        elif isinstance(item, exp.Alias) and _is_column(item.this):
            raise SqlError(f"SELECT {_fragment(item)}: a group column cannot be renamed; write it as it is")
        else:
            aggregates.append(_aggregate(item, ctx))
    if selected_groups != group:
        if not group:
            raise SqlError(f"SELECT names column(s) {', '.join(selected_groups)} without GROUP BY; select aggregates, "
                           "or group by those columns")
        raise SqlError(f"the group columns in SELECT ({', '.join(selected_groups) or 'none'}) must be those of GROUP BY "
                       f"({', '.join(group)}), in the same order")
    if not aggregates:
        raise SqlError("SELECT has no aggregate; " + supported())

    predicate = None
    w = stmt.args.get("where")
    if w is not None:
        try:
            predicate = _predicate(w.this, ctx, [MAX_PREDICATE_NODES])
        except RecursionError:
            raise SqlError("the WHERE clause is nested too deeply") from None

    question = Question(predicate, tuple(group), tuple(aggregates), text)
    question.check(schema)
    return question


def differences(a: Question, b: Question) -> list[str]:
    """What differs between two compiled questions (the SQL text aside), one readable line each."""
    out: list[str] = []
    if a.predicate != b.predicate:
        out.append(f"filter: {describe(a.predicate)} vs {describe(b.predicate)}")
    if a.group_by != b.group_by:
        out.append(f"GROUP BY: {', '.join(a.group_by) or '(none)'} vs {', '.join(b.group_by) or '(none)'}")
    if len(a.aggregates) != len(b.aggregates):
        out.append(f"{len(a.aggregates)} aggregates vs {len(b.aggregates)}")
    for x, y in zip(a.aggregates, b.aggregates):
        if x != y:
            kx, ky = registry.kind(x.function), registry.kind(y.function)
            out.append(f"aggregate {kx.describe(x)} AS {x.alias} vs {ky.describe(y)} AS {y.alias}")
    return out


def recompile_matches(question: Question, schema: Schema) -> Question:
    """Compile ``question.sql`` again and refuse (:class:`SqlError`) a compiled question that differs
    from it, naming each difference; returns the recompiled question.  A question without SQL text
    (made from a JSON request file) has nothing to recompile and is returned as it is."""
    if not question.sql:
        return question
    try:
        again = compile_sql(question.sql, schema)
    except SpecError as exc:
        raise SqlError(f"the study's SQL text does not compile: {exc}") from None
    diff = differences(question, again)
    if diff:
        raise SqlError("the compiled question does not match its SQL text (the spec carries "
                       f"{question.describe()!r}; the SQL compiles to {again.describe()!r}): " + "; ".join(diff))
    return again


__all__ = ["MAX_SQL_BYTES", "SqlError", "compile_sql", "differences", "function_name", "recompile_matches",
           "register_form", "supported", "supported_functions"]
