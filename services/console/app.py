"""The console's pages and JSON API (Starlette, Jinja2 with autoescape; GET only).

Pages: ``/`` (overview), ``/catalog``, ``/studies``, ``/studies/{id}``, ``/audit`` (with
``?start=`` paging and ``?q=`` inclusion lookup).  The same content as JSON under ``/api/``:
``/api/overview``, ``/api/catalog``, ``/api/studies``, ``/api/studies/{id}``, ``/api/audit``,
``/api/audit/lookup?q=...``.  Every route is GET (HEAD); anything else is 405.

Every response carries a strict Content-Security-Policy (no script at all, styles only from the
console's own stylesheet), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
``Referrer-Policy: no-referrer``.  Strings from parties (titles, names, columns, audit data) reach the
page only through Jinja's autoescape or the chart module's escaping.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from zkgate.errors import InvalidInputError, ZkgateError
from zkgate.report import charts

from ..client.gateway_client import GatewayCallError
from .source import ConsoleSource, NotFoundError

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_HERE = Path(str(resources.files(__package__)))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_HERE / "templates")),
        autoescape=True,  # every template, whatever its name: party strings are always escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = charts.format_number
    env.filters["short"] = lambda text, n=16: text if len(text) <= n + 3 else text[:n] + "…"
    return env


def chart_svgs(study: dict) -> list[str]:
    """The study's released results as inline SVG (escaped by the chart module)."""
    out = []
    for chart in study.get("charts") or []:
        kind, name = chart["kind"], chart["name"]
        if kind == "histogram":
            out.append(charts.histogram(chart["edges"], chart["counts"], title=f"histogram of {chart['column']}",
                                        x_label=chart["column"]))
        elif kind == "bar":
            out.append(charts.bar_chart(chart["labels"], chart["values"], title=name))
        elif kind == "survival":
            lower = {"S(t)": chart["ci_low"]} if chart["ci_low"] else None
            upper = {"S(t)": chart["ci_high"]} if chart["ci_high"] else None
            out.append(charts.line_chart(chart["time"], {"S(t)": chart["survival"]}, lower=lower, upper=upper,
                                         step=True, title=name, x_label="time", y_label="survival"))
        elif kind == "heatmap":
            matrix = chart["matrix"]
            out.append(charts.heatmap([str(i) for i in range(len(matrix))], [str(j) for j in range(len(matrix[0]))],
                                      matrix, title=name))
        elif kind == "regression":
            out.append(charts.regression_table(chart["terms"], chart["coef"], std_errors=chart["se"],
                                               title=f"{name} (R² {charts.format_number(chart['r2'])}, n {charts.format_number(chart['n'])})"))
    return out


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k for k, _ in self.headers}
                message["headers"] = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names] + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(source: ConsoleSource, *, gate=None) -> Starlette:
    """The console for ``source``; ``gate`` (ASGI middleware class) admits or refuses each request."""
    env = _environment()

    def page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        body = env.get_template(template).render(request_path=request.url.path, gateway=source.client.address, **context)
        return HTMLResponse(body, status_code=status)

    def failure(request: Request, exc: Exception, api: bool) -> Response:
        if isinstance(exc, NotFoundError):
            status = 404
        elif isinstance(exc, InvalidInputError):
            status = 400
        elif isinstance(exc, GatewayCallError):
            status = 404 if exc.code.name == "NOT_FOUND" else 502
        else:
            status = 502
        message = str(exc)
        if api:
            return JSONResponse({"error": message}, status_code=status)
        return page(request, "error.html", status=status, message=message, status_code=status)

    def handler(load, template: str | None):
        def endpoint(request: Request) -> Response:
            api = template is None
            try:
                data = load(request)
            except ZkgateError as exc:
                return failure(request, exc, api)
            if api:
                return Response(json.dumps(data, default=str, sort_keys=True), media_type="application/json")
            return page(request, template, **data)
        return endpoint

    def int_param(request: Request, name: str, default: int) -> int:
        text = request.query_params.get(name, "")
        if not text:
            return default
        if not text.isdigit() or len(text) > 12:
            raise InvalidInputError(f"?{name}= takes a non-negative integer")
        return int(text)

    def load_overview(request):
        return {"overview": source.overview()}

    def load_catalog(request):
        return {"catalog": source.catalog()}

    def load_studies(request):
        return {"studies": source.studies()}

    def load_study(request):
        study = source.study(request.path_params["study_id"])
        return {"study": study}

    def load_study_page(request):
        data = load_study(request)
        data["charts"] = chart_svgs(data["study"])
        return data

    def load_audit(request):
        audit = source.audit(int_param(request, "start", 0), int_param(request, "limit", 50))
        query = request.query_params.get("q", "").strip()
        lookup, lookup_error = None, ""
        if query:
            try:
                lookup = source.lookup(query)
            except (NotFoundError, InvalidInputError) as exc:
                lookup_error = str(exc)
        return {"audit": audit, "query": query, "lookup": lookup, "lookup_error": lookup_error}

    def load_lookup(request):
        return source.lookup(request.query_params.get("q", ""))

    routes = [
        Route("/", handler(load_overview, "overview.html"), methods=["GET"]),
        Route("/catalog", handler(load_catalog, "catalog.html"), methods=["GET"]),
        Route("/studies", handler(load_studies, "studies.html"), methods=["GET"]),
        Route("/studies/{study_id}", handler(load_study_page, "study.html"), methods=["GET"]),
        Route("/audit", handler(load_audit, "audit.html"), methods=["GET"]),
        Route("/api/overview", handler(lambda r: load_overview(r)["overview"], None), methods=["GET"]),
        Route("/api/catalog", handler(lambda r: load_catalog(r)["catalog"], None), methods=["GET"]),
        Route("/api/studies", handler(lambda r: load_studies(r)["studies"], None), methods=["GET"]),
        Route("/api/studies/{study_id}", handler(lambda r: load_study(r)["study"], None), methods=["GET"]),
        Route("/api/audit", handler(lambda r: source.audit(int_param(r, "start", 0), int_param(r, "limit", 50)), None),
              methods=["GET"]),
        Route("/api/audit/lookup", handler(load_lookup, None), methods=["GET"]),
        Route("/favicon.ico", lambda request: Response(status_code=204), methods=["GET"]),  # no icon, no 404
        Mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes)
    if gate is not None:
        app.add_middleware(gate)
    app.add_middleware(SecurityHeaders)
    return app
