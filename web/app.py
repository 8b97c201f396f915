"""The web view's application: search, story pages, trends and the JSON API over a read-only database session.

`create_app` builds it (tests serve it with a real uvicorn); `run_web` is what `newsmon web` runs; `build_server`
gives a uvicorn server to run in a thread beside other work (`newsmon serve`)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.db import Database
from models.outbox import load_matches, stored_digest
from models.read_only import open_read_only
from models.search import (
    ArticleFilter,
    Series,
    latest_filed_at,
    outlets,
    search_articles,
    stories_per_day,
    story,
    top_stories,
)
from app.config import Config
from web import present
from web.chart import trend_chart
from web.days import MAX_DAYS, day_windows, local_day
from web.security import (
    SESSION_COOKIE,
    RequireAccess,
    SecurityHeaders,
    content_security_policy,
    form_field,
    local_path,
    session_value,
    token_for,
)

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
DEFAULT_TREND_DAYS = 30
OUTLETS_CACHE_SECONDS = 300.0
MAX_LIMIT = 100
MAX_WAITING = 2000  # a digest's stories over its max_entries listed on its page (unsent_matches reads 2,000)


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


class BadQuery(ValueError):
    """A query parameter that cannot be used; the message names it and says what is expected."""


@dataclass(frozen=True, slots=True)
class WebSettings:
    database_url: str
    zone: str = "Asia/Seoul"
    token: str | None = None


def parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadQuery(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None


def labels_of(values: Sequence[str] | None) -> list[str]:
    """`label=kt&label=llm` or `label=kt,llm`."""
    return list(dict.fromkeys(x.strip() for v in values or () for x in v.split(",") if x.strip()))


@dataclass
class Viewer:
    """The queries behind every page and API answer, on the read-only database, shaped by `present`."""

    db: Database
    names: present.Names
    zone: str
    _outlets: tuple[float, list[str]] = field(default=(0.0, []))

    def _range(self, since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
        first, last = parse_day(since, "since"), parse_day(until, "until")
        if first and last and last < first:
            raise BadQuery(f"until {last} is before since {first}")
        start = day_windows(first, first, self.zone)[0].start if first else None
        end = day_windows(last, last, self.zone)[0].end if last else None
        return start, end

    def search(self, *, q: str = "", company: str | None = None, topic: str | None = None,
               outlet: str | None = None, since: str | None = None, until: str | None = None,
               fold: bool = True, limit: int = 20, offset: int = 0) -> dict[str, Any]:
        start, end = self._range(since, until)
        f = ArticleFilter(text=q or "", company=company or None, topic=topic or None, outlet=outlet or None,
                          since=start, until=end, fold_duplicates=fold, limit=max(1, min(limit, MAX_LIMIT)),
                          offset=max(0, offset))
        with self.db.session() as session:
            page = search_articles(session, f)
        hits = [present.hit_dict(h, page.terms, self.names, self.zone, f.company, f.topic) for h in page.hits]
        return {"query": {"q": f.text, "company": f.company, "topic": f.topic, "outlet": f.outlet, "since": since or None,
                          "until": until or None, "duplicates": "fold" if fold else "show", "limit": f.limit,
                          "offset": f.offset},
                "terms": list(page.terms), "scanned": page.scanned, "count": len(hits), "more": page.more,
                "results": hits}

    def story(self, key: str) -> dict[str, Any] | None:
        with self.db.session() as session:
            found = story(session, key)
        return present.story_dict(found, self.names, self.zone) if found else None

    def digest(self, key: str) -> dict[str, Any] | None:
        with self.db.session() as session:
            found = stored_digest(session, key)
            if found is None:
                return None
            waiting_ids = [int(i) for i in found.content.get("digest", {}).get("waiting_ids", ())][:MAX_WAITING]
            waiting = load_matches(session, waiting_ids)
        return present.digest_dict(found, waiting, self.zone)

    def trend_range(self, since: str | None, until: str | None) -> tuple[date, date]:
        first, last = parse_day(since, "since"), parse_day(until, "until")
        if last is None:
            with self.db.session() as session:
                newest = latest_filed_at(session)
            today = datetime.now(timezone.utc)
            last = local_day(min(newest, today) if newest else today, self.zone)
            if first and first > last:
                last = first + timedelta(days=DEFAULT_TREND_DAYS - 1)
        if first is None:
            first = last - timedelta(days=DEFAULT_TREND_DAYS - 1)
        if last < first:
            raise BadQuery(f"until {last} is before since {first}")
        if (last - first).days + 1 > MAX_DAYS:
            raise BadQuery(f"since..until spans {(last - first).days + 1} days; at most {MAX_DAYS}")
        return first, last

    def trends(self, labels: Sequence[str], since: str | None, until: str | None) -> dict[str, Any]:
        first, last = self.trend_range(since, until)
        days = day_windows(first, last, self.zone)
        with self.db.session() as session:
            found = {(s.kind, s.label): s for s in stories_per_day(session, days, labels=labels)}
        wanted = [(k, lbl) for k in ("company", "topic") for lbl, _ in self.names.choices(k)
                  if not labels or lbl in labels]
        wanted += [key for key in found if key not in wanted]
        series = [found.get(key) or Series(key[0], key[1], (0,) * len(days)) for key in wanted]
        return {"zone": self.zone, "since": first.isoformat(), "until": last.isoformat(),
                "days": [d.day.isoformat() for d in days],
                "series": [{"kind": s.kind, "label": s.label, "name": self.names.of(s.kind, s.label),
                            "counts": list(s.counts), "total": s.total} for s in series]}

    def top(self, day: date, labels: Sequence[str], limit: int = 10) -> list[dict[str, Any]]:
        window = day_windows(day, day, self.zone)[0]
        with self.db.session() as session:
            found = top_stories(session, window.start, window.end, labels=labels, limit=limit)
        return [present.top_story_dict(t, self.names, self.zone) for t in found]

    def outlets(self) -> list[str]:
        stamp, cached = self._outlets
        if time.monotonic() - stamp > OUTLETS_CACHE_SECONDS:
            with self.db.session() as session:
                cached = outlets(session)
            self._outlets = (time.monotonic(), cached)
        return cached


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["emphasised"] = present.emphasised
    env.tests["mentioning"] = present.mentions
    env.globals["story_path"] = present.story_path
    return env


def create_app(config: Config, settings: WebSettings) -> FastAPI:
    """The application over `settings.database_url`, opened read-only (the schema must already be migrated)."""
    db = open_read_only(settings.database_url)
    viewer = Viewer(db=db, names=present.Names(config.watchlist), zone=settings.zone)
    env = _templates()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(title="newsmon", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.viewer = viewer
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(request: Request, name: str, status: int = 200, csp: str | None = None, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(
            path=request.url.path, companies=viewer.names.choices("company"), topics=viewer.names.choices("topic"),
            zone=viewer.zone, login=settings.token is not None, **context)
        headers = {"content-security-policy": csp} if csp else None
        return HTMLResponse(html, status_code=status, headers=headers)

    @app.exception_handler(BadQuery)
    async def _bad_query(request: Request, exc: BadQuery) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return page(request, "error.html", 400, title="Bad request", message=str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": problems}, status_code=400)
        return page(request, "error.html", 400, title="Bad request", message=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "Not found" if exc.status_code == 404 else str(exc.detail)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=exc.status_code)
        return page(request, "error.html", exc.status_code, title=message, message=message)

    # --- JSON API ------------------------------------------------------------------------------------------

    @app.get("/api/articles")
    def api_articles(q: str = "", company: str = "", topic: str = "", outlet: str = "", since: str = "",
                     until: str = "", duplicates: str = "fold", limit: Limit = 20,
                     offset: Annotated[int, Query(ge=0)] = 0) -> JSONResponse:
        return JSONResponse(viewer.search(q=q, company=company, topic=topic, outlet=outlet, since=since, until=until,
                                          fold=_fold(duplicates), limit=limit, offset=offset))

    @app.get("/api/stories/{key}")
    def api_story(key: str) -> JSONResponse:
        found = viewer.story(key)
        if found is None:
            return JSONResponse({"error": f"no story {key!r}"}, status_code=404)
        return JSONResponse(found)

    @app.get("/api/digests/{key}")
    def api_digest(key: str) -> JSONResponse:
        found = viewer.digest(key)
        if found is None:
            return JSONResponse({"error": f"no digest {key!r}"}, status_code=404)
        return JSONResponse(found)

    @app.get("/api/trends")
    def api_trends(label: Annotated[list[str] | None, Query()] = None, since: str = "",
                   until: str = "") -> JSONResponse:
        return JSONResponse(viewer.trends(labels_of(label), since, until))

    @app.get("/api/trends/top")
    def api_top(day: str, label: Annotated[list[str] | None, Query()] = None,
                limit: Annotated[int, Query(ge=1, le=50)] = 10) -> JSONResponse:
        chosen = parse_day(day, "day")
        assert chosen is not None
        return JSONResponse({"day": chosen.isoformat(), "zone": viewer.zone,
                             "stories": viewer.top(chosen, labels_of(label), limit)})

    # --- pages ---------------------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def front() -> RedirectResponse:
        return RedirectResponse("/search", status_code=303)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: str = "", company: str = "", topic: str = "", outlet: str = "",
                    since: str = "", until: str = "", duplicates: str = "fold",
                    page_no: Annotated[int, Query(alias="page", ge=1, le=1000)] = 1) -> HTMLResponse:
        limit = 20
        form = {"q": q, "company": company, "topic": topic, "outlet": outlet, "since": since, "until": until,
                "duplicates": "show" if duplicates == "show" else "fold"}
        try:
            result = viewer.search(q=q, company=company, topic=topic, outlet=outlet, since=since, until=until,
                                   fold=_fold(duplicates), limit=limit, offset=(page_no - 1) * limit)
            error = None
        except BadQuery as exc:
            result, error = None, str(exc)
        link = lambda n: "/search?" + urlencode({**{k: v for k, v in form.items() if v}, "page": n})  # noqa: E731
        return page(request, "search.html", 400 if error else 200, form=form, result=result, error=error,
                    outlets=viewer.outlets(), page_no=page_no, first=(page_no - 1) * limit,
                    next_page=link(page_no + 1) if result and result["more"] else None,
                    prev_page=link(page_no - 1) if page_no > 1 else None)

    @app.get("/stories/{key}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(request: Request, key: str) -> HTMLResponse:
        found = viewer.story(key)
        if found is None:
            return page(request, "error.html", 404, title="No such story",
                        message=f"No stored article belongs to the story {key!r}.")
        return page(request, "story.html", story=found)

    @app.get("/digests/{key}", response_class=HTMLResponse, include_in_schema=False)
    def digest_page(request: Request, key: str) -> HTMLResponse:
        found = viewer.digest(key)
        if found is None:
            return page(request, "error.html", 404, title="No such digest",
                        message=f"No digest was recorded under the key {key!r}.")
        return page(request, "digest.html", digest=found)

    @app.get("/trends", response_class=HTMLResponse, include_in_schema=False)
    def trends_page(request: Request, label: Annotated[list[str] | None, Query()] = None, since: str = "",
                    until: str = "", day: str = "") -> HTMLResponse:
        labels = labels_of(label)
        data = viewer.trends(labels, since, until)
        days = [date.fromisoformat(d) for d in data["days"]]
        base = {"since": data["since"], "until": data["until"]}

        def day_link(d: date) -> str:
            return "/trends?" + urlencode([*(("label", x) for x in labels), *base.items(), ("day", d.isoformat())])

        groups = [("company", "Companies"), ("topic", "Topics")]
        charts, hashes = [], []
        for kind, heading in groups:
            rows = [s for s in data["series"] if s["kind"] == kind]
            if not rows:
                continue
            chart = trend_chart(days, [(s["name"], Series(s["kind"], s["label"], tuple(s["counts"]))) for s in rows],
                                day_link, title=f"{heading}: stories per day")
            charts.append({"heading": heading, "chart": chart, "series": rows})
            hashes.append(chart.style_hash)
        chosen = parse_day(day, "day")
        if chosen is None or not (days[0] <= chosen <= days[-1]):
            totals = [sum(s["counts"][i] for s in data["series"]) for i in range(len(days))]
            busy = [i for i, n in enumerate(totals) if n]
            chosen = days[busy[-1]] if busy else days[-1]
        top = viewer.top(chosen, labels)
        return page(request, "trends.html", csp=content_security_policy(hashes), data=data, charts=charts,
                    chosen=chosen.isoformat(), top=top, labels=labels,
                    day_links=[(d.isoformat(), present.day_label(d), day_link(d)) for d in days])

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> Response:
        if settings.token is None:
            return RedirectResponse(local_path(next), status_code=303)
        return page(request, "login.html", next=local_path(next), failed=False)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        body = await request.body()
        target = local_path(form_field(body, "next") or "/")
        access: RequireAccess = app.state.access
        if settings.token is None:
            return RedirectResponse(target, status_code=303)
        if not access.check_token(form_field(body, "token")):
            await asyncio.sleep(1.0)  # slows guessing
            return page(request, "login.html", 401, next=target, failed=True)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, session_value(settings.token), max_age=30 * 86400, httponly=True,
                            samesite="strict", secure=request.url.scheme == "https", path="/")
        return response

    return app


def _fold(duplicates: str) -> bool:
    if duplicates not in ("fold", "show", ""):
        raise BadQuery(f"duplicates: {duplicates!r}; use 'fold' (each near-duplicate group once) or 'show'")
    return duplicates != "show"


def wrap(app: FastAPI, token: str | None) -> Any:
    """The application behind its access check and security headers (outermost: headers on every answer)."""
    access = RequireAccess(app, token)
    app.state.access = access
    return SecurityHeaders(access)


def prepare(config: Config, host: str) -> tuple[Any, WebSettings]:
    """Check the binding (a token for a non-loopback address), migrate the schema once with a writable session
    (the search index must exist), and build the wrapped application over a read-only one."""
    token = token_for(host)
    url = config.database_url()
    Database(url).dispose()  # migrations, incl. the search index; the view itself never writes
    settings = WebSettings(database_url=url, zone=config.schedule.timezone, token=token)
    return wrap(create_app(config, settings), token), settings


def build_server(config: Config, host: str = "127.0.0.1", port: int = 8080) -> uvicorn.Server:
    """A uvicorn server for the web view, not yet started (`server.run()` blocks; `server.should_exit = True` stops
    it from another thread). Raises WebSetupError before binding when the address needs a token and has none."""
    app, _ = prepare(config, host)
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info", server_header=False,
                                         proxy_headers=False, access_log=True, lifespan="on"))


def run_web(config: Config, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the web view until Ctrl-C or SIGTERM (what `newsmon web` runs)."""
    server = build_server(config, host, port)
    log.info("newsmon web on http://%s:%d", host if ":" not in host else f"[{host}]", port)
    server.run()


def start_in_thread(server: uvicorn.Server) -> threading.Thread:
    """Run `server` in a daemon thread and wait until it listens (for `newsmon serve` and tests)."""
    thread = threading.Thread(target=server.run, name="newsmon-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web view did not start (see the log above)")
        time.sleep(0.05)
    return thread
