"""A remote SPARQL 1.1 service as the project's store: ``RemoteStore(RemoteConfig(query_url, ...))``.

It answers what the rest of the library asks of a store (:class:`loader.backend.Backend`): ``query``
with pyoxigraph's options (substitutions, the default graph as the union of the named graphs,
predeclared prefixes, base IRI, explicit default/named graphs), ``named_graphs``,
``contains_named_graph`` and ``quads_for_pattern``; answers are pyoxigraph objects, so saved queries,
result formatting, export and the HTTP server work unchanged. The query text the remote receives is
made by :mod:`loader.remote_sparql` (parameters, ``bkf:list``, dataset); the query is first parsed by
pyoxigraph here, so a syntax error reads exactly as with the embedded store.

What is on the remote (written by :mod:`loader.remote_push`):

* the project's named graphs under their own names (``bkg:doc-000``, ``bkg:inferred``, ...);
* the graph ``META`` (:data:`META`): the generation number, the list of the project's graphs and the
  build manifest (JSON). Readers take the graph list from it, so graphs a push is still uploading
  (under ``STAGING``) are never part of a query's dataset;
* blank nodes as skolem IRIs under :data:`GENID` (RDF 1.1 §3.5): a remote engine would relabel blank
  nodes, and export must give the same bytes as the embedded store. They are turned back into the same
  blank nodes in every answer; ``isBlank()`` on them is false on the remote.

The default graph: ``union="from"`` (default) writes ``FROM`` and ``FROM NAMED`` for every project
graph into the query (any SPARQL 1.1 engine); ``"param"`` sends Oxigraph's ``union-default-graph``
parameter instead; ``"native"`` sends the query as is (an engine configured with the union as its
default graph). Credentials: a bearer token or a user and password, from the environment
(``BUKAMAL_REMOTE_TOKEN``, ``BUKAMAL_REMOTE_USER`` + ``BUKAMAL_REMOTE_PASSWORD``) or a file; never
printed (messages show the URL without user information).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import httpx
import pyoxigraph

from . import __version__
from .errors import QueryError, QueryTimeout, RemoteStoreError, StoreError, UsageError
from .remote_sparql import LIST, Prepared, canonical_list, prepare

BASE = "https://w3id.org/bukamal-kg/remote/"
META = BASE + "meta"
STAGING = BASE + "staging/"
EMPTY = BASE + "empty"
GENID = "https://w3id.org/bukamal-kg/.well-known/genid/"
META_GENERATION, META_GRAPH, META_MANIFEST = META + "#generation", META + "#graph", META + "#manifest"
UNION_MODES = ("from", "param", "native")
ENV = {"url": "BUKAMAL_REMOTE", "update": "BUKAMAL_REMOTE_UPDATE", "store": "BUKAMAL_REMOTE_STORE",
       "token": "BUKAMAL_REMOTE_TOKEN", "user": "BUKAMAL_REMOTE_USER",
       "password": "BUKAMAL_REMOTE_PASSWORD", "union": "BUKAMAL_REMOTE_UNION",
       "timeout": "BUKAMAL_REMOTE_TIMEOUT"}
MAX_TIMEOUT_S = 7 * 86400.0        # a week: more is no limit, and sockets refuse an infinite one
RESULTS_JSON = "application/sparql-results+json"
_PARSER = pyoxigraph.Store()
_RESULT_FORMATS = {RESULTS_JSON: pyoxigraph.QueryResultsFormat.JSON,
                   "application/json": pyoxigraph.QueryResultsFormat.JSON,
                   "application/sparql-results+xml": pyoxigraph.QueryResultsFormat.XML,
                   "text/tab-separated-values": pyoxigraph.QueryResultsFormat.TSV}
_GRAPH_FORMATS = {"application/n-triples": pyoxigraph.RdfFormat.N_TRIPLES,
                  "text/plain": pyoxigraph.RdfFormat.N_TRIPLES, "text/turtle": pyoxigraph.RdfFormat.TURTLE,
                  "application/rdf+xml": pyoxigraph.RdfFormat.RDF_XML,
                  "application/ld+json": pyoxigraph.RdfFormat.JSON_LD}


@dataclass(frozen=True)
class RemoteConfig:
    """Where the remote service is and how to talk to it."""

    query_url: str
    update_url: str | None = None
    store_url: str | None = None            # Graph Store Protocol; None: uploads use SPARQL Update
    store_url_guessed: bool = False         # derived from the query URL: fall back to Update on 404/405
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    union: str = "from"
    timeout_s: float = 60.0
    max_response_bytes: int = 1 << 30
    graph_cache_s: float = 1.0

    def __post_init__(self) -> None:
        for url in (self.query_url, self.update_url, self.store_url):
            if url is not None:
                check_url(url)
        if self.union not in UNION_MODES:
            raise UsageError(f"unknown union mode {self.union!r}; use one of {', '.join(UNION_MODES)}")
        if not 0 < self.timeout_s <= MAX_TIMEOUT_S:
            raise UsageError(f"the remote timeout must be a positive number of seconds, at most {MAX_TIMEOUT_S:g}")
        if self.token and self.user:
            raise UsageError("give either a bearer token or a user and password for the remote, not both")

    @classmethod
    def from_options(cls, url: str, *, update: str | None = None, store: str | None = None,
                     user: str | None = None, secret: str | None = None, union: str | None = None,
                     environ=None, **kw) -> RemoteConfig:
        """A config from command-line values and the environment (``BUKAMAL_REMOTE_*``).

        Without ``update``/``store``: a query URL ending in ``/query`` (Oxigraph, Fuseki) gives
        ``.../update`` and (tried first, Update used if it is missing) ``.../store``; any other URL is
        also the update URL and uploads use SPARQL Update. ``secret`` (read from a file by the CLI) is
        the password when there is a user, else the bearer token.
        """
        check_url(url)
        env = os.environ if environ is None else environ
        user = user or env.get(ENV["user"]) or None
        password = token = None
        if user:
            password = secret if secret is not None else env.get(ENV["password"])
            if password is None:
                raise UsageError(f"a remote user needs a password: set ${ENV['password']} or give a secret file")
        else:
            token = secret if secret is not None else (env.get(ENV["token"]) or None)
        guessed = False
        parts = urlsplit(url)
        if parts.path.endswith("/query"):
            stem = parts.path[: -len("/query")]
            update = update or urlunsplit(parts._replace(path=stem + "/update", query=""))
            if store is None:
                store, guessed = urlunsplit(parts._replace(path=stem + "/store", query="")), True
        update = update or url
        if env.get(ENV["timeout"]) and "timeout_s" not in kw:
            try:
                kw["timeout_s"] = float(env[ENV["timeout"]])
            except ValueError:
                raise UsageError(f"${ENV['timeout']} must be a number of seconds") from None
        return cls(url, update, store, guessed, user, password, token,
                   union or env.get(ENV["union"]) or "from", **kw)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RemoteConfig:
        return cls(**json.loads(text))

    @property
    def display(self) -> str:
        return shown(self.query_url)


def check_url(url: str) -> None:
    """:class:`UsageError` unless ``url`` is an http(s) URL with a host that the HTTP client accepts
    (a bracket left open, a port out of range or not a number, a space in the host...)."""
    try:
        parts = urlsplit(url)
        parts.port                                     # raises for a port that is not a number 0-65535
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise UsageError(f"not a usable remote SPARQL URL: {shown(url)!r} ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"a remote SPARQL URL must start with http:// or https://, not {shown(url)!r}")
    if not parts.hostname:
        raise UsageError(f"a remote SPARQL URL needs a host: {shown(url)!r}")


def shown(url: str) -> str:
    """A URL for messages: without user information, query or fragment; a URL that does not parse (an
    open bracket, a bad port) as it was given, but with what stands before an ``@`` hidden."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
    except ValueError:
        return re.sub(r"//[^/@]*@", "//***@", url)
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class Reply:
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


@dataclass(frozen=True)
class Meta:
    """What the remote's ``META`` graph says: the current generation of the project's graphs."""

    generation: int
    graphs: tuple[str, ...]
    manifest: dict


# --------------------------------------------------------------------------------- blank nodes

def skolem(term):
    if isinstance(term, pyoxigraph.BlankNode):
        return pyoxigraph.NamedNode(GENID + quote(term.value, safe=""))
    return term


def unskolem(term):
    if isinstance(term, pyoxigraph.NamedNode) and term.value.startswith(GENID):
        try:
            return pyoxigraph.BlankNode(unquote(term.value[len(GENID):]))
        except ValueError:           # not a label we made (some other writer's IRI there): keep the IRI
            return term
    return term


def unskolem_triple(t: pyoxigraph.Triple) -> pyoxigraph.Triple:
    return pyoxigraph.Triple(unskolem(t.subject), t.predicate, unskolem(t.object))


# --------------------------------------------------------------------------------- the store

class RemoteStore:
    """A SPARQL 1.1 service seen through pyoxigraph's ``Store`` interface (read side) plus writes."""

    def __init__(self, config: RemoteConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        auth = httpx.BasicAuth(config.user, config.password or "") if config.user else None
        headers = {"User-Agent": f"bukamal-kg/{__version__}"}
        if config.token:
            headers["Authorization"] = f"Bearer {config.token}"
        self.client = httpx.Client(timeout=config.timeout_s, auth=auth, headers=headers,
                                   transport=transport, follow_redirects=False)
        self._graphs: tuple[float, tuple[str, ...]] | None = None
        self._gsp = config.store_url

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- HTTP ---------------------------------------------------------------------------------

    def request(self, method: str, url: str, *, what: str, **kw) -> Reply:
        """Send one request; transport failures and error statuses become project errors. The timeout
        bounds each read and also the whole answer: one that trickles in is cut when the time is up."""
        deadline = time.monotonic() + self.config.timeout_s
        try:
            with self.client.stream(method, url, **kw) as response:
                size, chunks = 0, []
                for chunk in response.iter_bytes():
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("the whole answer took too long")
                    size += len(chunk)
                    if size > self.config.max_response_bytes:
                        raise RemoteStoreError(f"the answer of {shown(url)} is larger than "
                                               f"{self.config.max_response_bytes} bytes")
                    chunks.append(chunk)
                reply = Reply(response.status_code, response.headers, b"".join(chunks))
        except httpx.TimeoutException:
            raise QueryTimeout(f"the remote SPARQL service ({shown(url)}) did not answer {what} within "
                               f"{self.config.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise RemoteStoreError(f"cannot reach the remote SPARQL service at {shown(url)} ({what}): "
                                   f"{type(exc).__name__}") from None
        if reply.status >= 300:
            raise _status_error(reply, url, what)
        return reply

    def select(self, text: str) -> list[dict]:
        """Rows of a SELECT sent as is (no rewriting, the engine's own dataset): variable -> term."""
        body, ctype = self._post_query(text, RESULTS_JSON, [], what="a query")
        return _rows(body, ctype)

    def update(self, text: str) -> None:
        if not self.config.update_url:
            raise UsageError("this remote has no SPARQL Update URL (--remote-update)")
        self.request("POST", self.config.update_url, what="an update",
                     content=text.encode("utf-8"),
                     headers={"Content-Type": "application/sparql-update; charset=utf-8"})

    def put_graph(self, graph: str, triples: list[pyoxigraph.Triple], *, chunk: int = 5000) -> None:
        """Replace ``graph`` with ``triples`` (Graph Store PUT; else DROP + INSERT DATA)."""
        if self._gsp is not None:
            data = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
            try:
                self.request("PUT", self._gsp, what="a graph upload", params={"graph": graph},
                             content=data, headers={"Content-Type": "application/n-triples"})
                return
            except RemoteStoreError as exc:
                if not (self.config.store_url_guessed and getattr(exc, "http_status", None) in (404, 405)):
                    raise
                self._gsp = None                 # no Graph Store there: use SPARQL Update from now on
        self.update(f"DROP SILENT GRAPH <{graph}>")
        for i in range(0, len(triples), chunk):
            body = pyoxigraph.serialize(triples[i:i + chunk], format=pyoxigraph.RdfFormat.N_TRIPLES)
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body.decode('utf-8')}}} }}")

    def _post_query(self, text: str, accept: str, params: list[tuple[str, str]], *, what: str):
        form = urlencode([("query", text)] + params).encode("ascii")
        response = self.request("POST", self.config.query_url, what=what, content=form,
                                headers={"Accept": accept,
                                         "Content-Type": "application/x-www-form-urlencoded"})
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return response.content, ctype

    # ---- the project's graphs -----------------------------------------------------------------

    def meta(self) -> Meta | None:
        """The ``META`` graph's content, or None when nothing was pushed here."""
        rows = self.select(f"SELECT ?gen ?graph ?manifest WHERE {{ GRAPH <{META}> {{ "
                           f"<{META}> <{META_GENERATION}> ?gen "
                           f"OPTIONAL {{ <{META}> <{META_GRAPH}> ?graph }} "
                           f"OPTIONAL {{ <{META}> <{META_MANIFEST}> ?manifest }} }} }}")
        if not rows:
            return None
        try:
            generation = int(rows[0]["gen"].value)
            manifest = json.loads(rows[0]["manifest"].value) if rows[0].get("manifest") is not None else {}
            if not isinstance(manifest, dict):
                raise ValueError("the manifest is not a JSON object")
        except (ValueError, AttributeError, KeyError):     # KeyError: an answer without the asked columns
            raise RemoteStoreError(f"the bukamal metadata graph on {self.config.display} is corrupt"
                                   " (or the service did not answer the query asked)") from None
        graphs = tuple(sorted({r["graph"].value for r in rows if r.get("graph") is not None}))
        return Meta(generation, graphs, manifest)

    def manifest(self) -> dict | None:
        m = self.meta()
        return None if m is None else dict(m.manifest, generation=f"gen-{m.generation:06d}")

    def project_graphs(self, *, fresh: bool = False) -> tuple[str, ...]:
        """The graphs queries see: those ``META`` lists, else every named graph but ours (cached briefly)."""
        now = time.monotonic()
        if not fresh and self._graphs is not None and now - self._graphs[0] < self.config.graph_cache_s:
            return self._graphs[1]
        m = self.meta()
        if m is not None:
            graphs = m.graphs
        else:
            rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
            graphs = tuple(sorted(r["g"].value for r in rows if isinstance(r.get("g"), pyoxigraph.NamedNode)
                                  and not r["g"].value.startswith(BASE)))
        self._graphs = (now, graphs)
        return graphs

    def check(self) -> None:
        """:class:`StoreError` unless the remote answers and holds some of the project's graphs."""
        if not self.project_graphs(fresh=True):
            raise StoreError(f"the remote SPARQL service {self.config.display} holds no graphs yet:"
                             " run `bukamal build --remote URL` first")

    # ---- pyoxigraph's Store interface (read side) ----------------------------------------------

    def named_graphs(self) -> Iterator[pyoxigraph.NamedNode]:
        return iter([pyoxigraph.NamedNode(g) for g in self.project_graphs()])

    def contains_named_graph(self, graph) -> bool:
        return isinstance(graph, pyoxigraph.NamedNode) and graph.value in self.project_graphs()

    def graph_triples(self, graph: str) -> list[pyoxigraph.Triple]:
        body, ctype = self._post_query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                                       "application/n-triples", [], what="a graph download")
        return [unskolem_triple(t) for t in _triples(body, ctype)]

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph_name=None):
        """Quads of the project's graphs matching the pattern (read graph by graph)."""
        if isinstance(graph_name, pyoxigraph.DefaultGraph):
            return iter(())
        graphs = [graph_name.value] if graph_name is not None else list(self.project_graphs())
        out = []
        for g in graphs:
            node = pyoxigraph.NamedNode(g)
            for t in self.graph_triples(g):
                if ((subject is None or t.subject == subject) and (predicate is None or t.predicate == predicate)
                        and (object is None or t.object == object)):
                    out.append(pyoxigraph.Quad(t.subject, t.predicate, t.object, node))
        return iter(out)

    def query(self, query: str, *, base_iri=None, prefixes=None, use_default_graph_as_union=False,
              default_graph=None, named_graphs=None, substitutions=None, custom_functions=None,
              custom_aggregate_functions=None):
        """pyoxigraph's ``Store.query``, answered by the remote (see the module docstring)."""
        options = {k: v for k, v in (("base_iri", base_iri), ("prefixes", prefixes),
                                      ("substitutions", substitutions), ("custom_functions", custom_functions),
                                      ("custom_aggregate_functions", custom_aggregate_functions)) if v}
        _PARSER.query(query, **options)       # parsed, not run: a SyntaxError reads as with the embedded store
        lists = bool(custom_aggregate_functions) and any(
            getattr(k, "value", None) == LIST for k in custom_aggregate_functions)
        params: list[tuple[str, str]] = []
        graphs = None
        if default_graph is not None or named_graphs is not None:
            defaults = default_graph if isinstance(default_graph, list) else (
                [] if default_graph is None else [default_graph])
            iris = [g.value for g in defaults if isinstance(g, pyoxigraph.NamedNode)]
            params += [("default-graph-uri", g) for g in iris or [EMPTY]]
            params += [("named-graph-uri", g.value) for g in named_graphs or []
                       if isinstance(g, pyoxigraph.NamedNode)]
        elif use_default_graph_as_union:
            if self.config.union == "from":
                graphs = list(self.project_graphs()) or [EMPTY]
            elif self.config.union == "param":
                params.append(("union-default-graph", ""))
        prepared = prepare(query, substitutions=substitutions, prefixes=prefixes, base_iri=base_iri,
                           lists=lists, graphs=graphs)
        if prepared.form in ("CONSTRUCT", "DESCRIBE"):
            body, ctype = self._post_query(prepared.text, "application/n-triples, text/turtle;q=0.9",
                                           params, what="a query")
            return [unskolem_triple(t) for t in _triples(body, ctype)]
        body, ctype = self._post_query(prepared.text, RESULTS_JSON, params, what="a query")
        parsed = _parse_results(body, ctype)
        if isinstance(parsed, pyoxigraph.QueryBoolean):
            return parsed
        variables, rows = parsed
        if GENID.encode() in body:
            rows = [[unskolem(t) for t in row] for row in rows]
        if prepared.list_columns:
            rows = _finish(variables, rows, prepared, custom_functions)
        return _solutions(variables, rows)


# --------------------------------------------------------------------------------- answers

def _status_error(response: Reply, url: str, what: str) -> Exception:
    status = response.status
    detail = response.text.strip().replace("\n", " ")[:300]
    if status == 400:
        err: Exception = QueryError(f"the remote SPARQL service rejected {what}: {detail or 'HTTP 400'}")
    elif status in (401, 403):
        err = RemoteStoreError(f"the remote SPARQL service {shown(url)} refused the credentials (HTTP {status})")
    else:
        err = RemoteStoreError(f"the remote SPARQL service {shown(url)} failed on {what}: HTTP {status}"
                               + (f" {detail}" if detail else ""))
    err.http_status = status
    return err


def _result_format(ctype: str):
    if ctype not in _RESULT_FORMATS:
        raise RemoteStoreError(f"the remote SPARQL service answered in an unexpected format ({ctype or 'none'})")
    return _RESULT_FORMATS[ctype]


def _parse_results(body: bytes, ctype: str):
    """The remote's answer read in full: a QueryBoolean, or (variables, rows of terms or None).

    A cut-off answer (a service that stops mid-answer and still said 200) is an error, never fewer rows."""
    fmt = _result_format(ctype)
    try:
        parsed = pyoxigraph.parse_query_results(body, fmt)
        if isinstance(parsed, pyoxigraph.QueryBoolean):
            return parsed
        variables = [v.value for v in parsed.variables]
        return variables, [[sol[v] for v in variables] for sol in parsed]
    except SyntaxError:
        pass
    # raised here, once the parser's error and its frames are gone, and without the half-read solutions:
    # those belong to this thread (the engine's, in the CLI) and must not be dropped by another one
    parsed = None
    tail = body[-120:].decode("utf-8", "replace").replace("\n", " ")
    raise RemoteStoreError(f"the remote SPARQL service sent an answer that does not parse (it may have"
                           f" stopped in the middle): ...{tail}")


def _solutions(variables: list[str], rows: list[list]) -> pyoxigraph.QuerySolutions:
    return pyoxigraph.parse_query_results(_results_json(variables, rows), pyoxigraph.QueryResultsFormat.JSON)


def _rows(body: bytes, ctype: str) -> list[dict]:
    parsed = _parse_results(body, ctype)
    if isinstance(parsed, pyoxigraph.QueryBoolean):
        return []
    variables, rows = parsed
    return [{v: t for v, t in zip(variables, row) if t is not None} for row in rows]


def _triples(body: bytes, ctype: str) -> list[pyoxigraph.Triple]:
    fmt = _GRAPH_FORMATS.get(ctype)
    if fmt is None:
        raise RemoteStoreError("the remote SPARQL service answered a graph in an unexpected format"
                               f" ({ctype or 'none'})")
    try:
        return [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in pyoxigraph.parse(body, format=fmt)]
    except SyntaxError as exc:
        raise RemoteStoreError(f"the remote SPARQL service sent a graph that does not parse: {exc}") from None


def _finish(variables: list[str], rows: list[list], p: Prepared, custom_functions) -> list[list]:
    """bkf:list columns canonical, then DISTINCT, ORDER BY, OFFSET and LIMIT as the query says."""
    index = [i for i, v in enumerate(variables) if v in p.list_columns]
    for row in rows:
        for i in index:
            if isinstance(row[i], pyoxigraph.Literal):
                row[i] = canonical_list(row[i].value)
    if p.distinct:
        seen, unique = set(), []
        for row in rows:
            key = tuple(str(t) if t is not None else "" for t in row)
            if key not in seen:
                seen.add(key)
                unique.append(row)
        rows = unique
    if p.order_by and p.order_vars <= set(variables) and rows and not any(
            isinstance(t, pyoxigraph.BlankNode) for row in rows for t in row):
        rows = _sorted(variables, rows, p, custom_functions)
    end = None if p.limit is None else p.offset + p.limit
    return rows[p.offset:end]


def _sorted(variables: list[str], rows: list[list], p: Prepared, custom_functions) -> list[list]:
    """Sort ``rows`` with pyoxigraph and the query's own ORDER BY (the embedded store's order)."""
    head = " ".join(f"?{v}" for v in variables)
    data = "\n".join("(" + " ".join(str(t) if t is not None else "UNDEF" for t in row) + f" {n})"
                     for n, row in enumerate(rows))
    text = (f"{p.prologue}SELECT ?_bkrow WHERE {{ VALUES ({head} ?_bkrow) {{\n{data}\n}} }}\n{p.order_by}")
    store = pyoxigraph.Store()
    order = [int(sol["_bkrow"].value) for sol in store.query(text, custom_functions=custom_functions or None)]
    return [rows[n] for n in order]


def _term_json(t) -> dict:
    if isinstance(t, pyoxigraph.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, pyoxigraph.Triple):
        return {"type": "triple", "value": {"subject": _term_json(t.subject),
                                            "predicate": _term_json(t.predicate), "object": _term_json(t.object)}}
    out = {"type": "literal", "value": t.value}
    if t.language:
        out["xml:lang"] = t.language
        if t.direction:                 # RDF 1.2 base direction ("x"@ar--rtl), as Oxigraph writes it
            out["its:dir"] = t.direction.value
    elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = t.datatype.value
    return out


def _results_json(variables: list[str], rows: list[list]) -> bytes:
    bindings = [{v: _term_json(t) for v, t in zip(variables, row) if t is not None} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}).encode("utf-8")


WORKER_ENV = "BUKAMAL_REMOTE_CONFIG"


def worker_config() -> RemoteConfig:
    """The config a server worker was started with (taken out of its environment)."""
    text = os.environ.pop(WORKER_ENV, None)
    if not text:
        raise StoreError("a remote worker was started without its configuration")
    return RemoteConfig.from_json(text)
