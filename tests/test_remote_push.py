"""Pushing generations to a real `oxigraph serve`: replaced atomically, and a push that fails half-way
(HTTP error, the service killed, a count that does not match, a switch that fails) leaves the previous
generation intact and queryable."""

from __future__ import annotations

import httpx
import pyoxigraph
import pytest
from conftest import MINI
from remote_support import OxigraphServer, graph_names, quads_of, trig_quads

from loader.backend import export_from
from loader.errors import RemoteStoreError
from loader.export import export
from loader.remote import META, STAGING, RemoteConfig, RemoteStore
from loader.remote_push import push

BKG = "https://w3id.org/bukamal-kg/graph/"
LABELS = ("SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?s ?l")


@pytest.fixture
def server(tmp_path):
    with OxigraphServer(tmp_path / "oxigraph") as srv:
        yield srv


def local(name: str) -> pyoxigraph.Store:
    s = pyoxigraph.Store()
    s.extend(trig_quads(name))
    return s


def labels(store) -> list[tuple[str, str]]:
    return [(str(r["s"]), str(r["l"])) for r in store.query(LABELS, use_default_graph_as_union=True)]


def expect_generation(store: RemoteStore, name: str, number: int) -> None:
    """The remote serves exactly the quads of ``name`` as generation ``number``, and nothing staged."""
    assert quads_of(store) == quads_of(local(name))
    assert labels(store) == labels(local(name))
    assert store.meta().generation == number


class Failing(httpx.HTTPTransport):
    """Answers the n-th Graph Store PUT with HTTP 500 (or sends it with its last line cut off)."""

    def __init__(self, n: int, *, truncate: bool = False) -> None:
        super().__init__()
        self.n, self.truncate, self.puts = n, truncate, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            self.puts += 1
            if self.puts == self.n and not self.truncate:
                return httpx.Response(500, text="injected failure")
            if self.puts == self.n:
                body = request.read()
                cut = body[:body.rstrip(b"\n").rfind(b"\n") + 1]
                headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
                request = httpx.Request("PUT", request.url, headers=headers, content=cut)
        return super().handle_request(request)


def test_push_stores_every_graph_with_its_blank_nodes(server):
    store = server.store()
    result = push(store, trig_quads("gen1.trig"), {"input_hash": "one"})
    assert (result.generation, result.previous, result.removed) == ("gen-000001", None, [])
    assert result.graphs == {BKG + "doc-a": 5, BKG + "doc-b": 2, BKG + "inferred": 2}
    expect_generation(store, "gen1.trig", 1)
    assert graph_names(store) == [BKG + "doc-a", BKG + "doc-b", BKG + "inferred", META]
    assert store.manifest() == {"input_hash": "one", "generation": "gen-000001"}


def test_second_push_replaces_the_first(server):
    store = server.store()
    push(store, trig_quads("gen1.trig"), {})
    result = push(store, trig_quads("gen2.trig"), {})
    assert (result.generation, result.previous, result.removed) == ("gen-000002", "gen-000001", [BKG + "doc-b"])
    expect_generation(store, "gen2.trig", 2)
    assert graph_names(store) == [BKG + "doc-a", BKG + "doc-c", BKG + "inferred", META]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_http_error_half_way_keeps_the_previous_generation(server, n):
    push(server.store(), trig_quads("gen1.trig"), {})
    failing = RemoteStore(server.config(), transport=Failing(n))
    with pytest.raises(RemoteStoreError) as err:
        push(failing, trig_quads("gen2.trig"), {})
    assert str(err.value) == (
        f"push to {server.query_url} failed after {n - 1} of 3 graphs (the remote SPARQL service"
        f" {server.base}/store failed on a graph upload: HTTP 500 injected failure); the remote still"
        " serves gen-000001")
    store = server.store()
    expect_generation(store, "gen1.trig", 1)
    assert graph_names(store) == [BKG + "doc-a", BKG + "doc-b", BKG + "inferred", META]   # staging dropped


def test_service_killed_half_way_keeps_the_previous_generation(server):
    push(server.store(), trig_quads("gen1.trig"), {})

    def kill_after_two(phase, done, total, graph):
        if phase == "upload" and done == 2:
            server.kill()

    with pytest.raises(RemoteStoreError) as err:
        push(server.store(), trig_quads("gen2.trig"), {}, progress=kill_after_two)
    assert str(err.value) == (
        f"push to {server.query_url} failed after 2 of 3 graphs (cannot reach the remote SPARQL service at"
        f" {server.base}/store (a graph upload): ConnectError); the remote still serves gen-000001")
    server.start()
    store = server.store()
    expect_generation(store, "gen1.trig", 1)
    staged = [g for g in graph_names(store) if g.startswith(STAGING)]
    assert [g.rsplit("/", 1)[1] for g in staged] == ["https%3A%2F%2Fw3id.org%2Fbukamal-kg%2Fgraph%2Fdoc-a",
                                                     "https%3A%2F%2Fw3id.org%2Fbukamal-kg%2Fgraph%2Fdoc-c"]
    push(store, trig_quads("gen2.trig"), {})                 # the next push clears what was left
    expect_generation(store, "gen2.trig", 2)
    assert [g for g in graph_names(store) if g.startswith(STAGING)] == []


def test_a_switch_that_fails_changes_nothing(server):
    """The switch is one update request; Oxigraph applies it in one transaction or not at all."""
    push(server.store(), trig_quads("gen1.trig"), {})
    store = server.store()

    def sabotage(phase, done, total, graph):
        if phase == "switch":               # the last MOVE of the switch will find no graph
            staged = [g for g in graph_names(store) if g.startswith(STAGING)]
            store.update(f"DROP GRAPH <{staged[-1]}>")

    with pytest.raises(RemoteStoreError) as err:
        push(store, trig_quads("gen2.trig"), {}, progress=sabotage)
    assert str(err.value).startswith(f"push to {server.query_url} failed after 3 of 3 graphs (the remote"
                                     f" SPARQL service {server.base}/update failed on an update: HTTP 500")
    assert str(err.value).endswith("does not exist); the remote still serves gen-000001")
    expect_generation(server.store(), "gen1.trig", 1)


def test_a_count_that_does_not_match_stops_the_push(server):
    push(server.store(), trig_quads("gen1.trig"), {})
    cutting = RemoteStore(server.config(), transport=Failing(1, truncate=True))
    with pytest.raises(RemoteStoreError) as err:
        push(cutting, trig_quads("gen2.trig"), {})
    assert str(err.value) == (f"push to {server.query_url} failed after 3 of 3 graphs (the remote holds 0"
                              " triples of a staged graph where 1 were sent); the remote still serves gen-000001")
    expect_generation(server.store(), "gen1.trig", 1)


@pytest.mark.parametrize("store_url,guessed", [(None, False), ("/nothing-here", True)])
def test_uploads_by_sparql_update(server, store_url, guessed):
    """No Graph Store URL (or a guessed one that is not there): INSERT DATA through the update URL."""
    config = RemoteConfig(server.query_url, server.base + "/update",
                          store_url and server.base + store_url, guessed)
    store = RemoteStore(config)
    push(store, trig_quads("gen1.trig"), {})
    push(store, trig_quads("gen2.trig"), {})
    expect_generation(store, "gen2.trig", 2)


def test_a_wrong_store_url_given_explicitly_is_an_error(server):
    store = RemoteStore(RemoteConfig(server.query_url, server.base + "/update", server.base + "/nothing-here"))
    with pytest.raises(RemoteStoreError) as err:
        push(store, trig_quads("gen1.trig"), {})
    assert str(err.value).startswith(f"push to {server.query_url} failed after 0 of 3 graphs (the remote"
                                     f" SPARQL service {server.base}/nothing-here failed on a graph upload:"
                                     " HTTP 404")
    assert store.meta() is None


def test_build_remote_command(server, cli, mini_store):
    first = cli("build", "--root", MINI, "--remote", server.query_url, "-q")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[-1] == f"published gen-000001 in {server.query_url}"
    again = cli("build", "--root", MINI, "--remote", server.query_url, "-q")
    assert again.exit_code == 0
    assert again.stdout.startswith(f"store is up to date (gen-000001 in {server.query_url}, inputs unchanged: ")
    dropped = httpx.post(server.base + "/update", data={"update": f"DROP GRAPH <https://w3id.org/bukamal-kg/graph/doc-000>"})
    assert dropped.status_code in (200, 204)
    healed = cli("build", "--root", MINI, "--remote", server.query_url, "-q")
    assert healed.exit_code == 0
    assert healed.stdout.splitlines()[-1] == (f"published gen-000002 in {server.query_url}"
                                             " (previous gen-000001 replaced)")
    assert healed.stderr.splitlines()[0].startswith(
        f"warning: the inputs are unchanged but the remote's graphs are not what was pushed (<https://w3id.org/bukamal-kg/graph/doc-000>"
        " holds 0 triples where ")
    forced = cli("build", "--root", MINI, "--remote", server.query_url, "-q", "--force")
    assert forced.stdout.splitlines()[-1] == (f"published gen-000003 in {server.query_url}"
                                             " (previous gen-000002 replaced)")
    for fmt, graph in (("trig", "all"), ("turtle", "asserted"), ("nquads", "inferred")):
        out = cli("export", "--remote", server.query_url, "--format", fmt, "--graph", graph)
        assert out.exit_code == 0
        assert out.stdout_bytes == export(mini_store, fmt=fmt, graph=graph)
    assert export_from(server.store(), fmt="jsonld", graph="all") == export(mini_store, fmt="jsonld", graph="all")


def test_remote_options_need_remote(cli):
    out = cli("export", "--remote-union", "param")
    assert (out.exit_code, out.stderr) == (2, "error: --remote-union needs --remote URL\n")
    out = cli("export", "--remote", "http://127.0.0.1:9/query", "--store", "somewhere")
    assert (out.exit_code, out.stderr) == (2, "error: give either --store DIR or --remote URL, not both\n")


@pytest.mark.parametrize("manifest", [{"asserted": {"https://x/g": "many"}}, {"asserted": ["https://x/g"]},
                                      {"asserted": {}, "inferred": None}, {"asserted": {"not an IRI": 1}}])
def test_a_malformed_remote_manifest_means_build_again_not_a_traceback(manifest):
    from loader.remote_build import _damage
    assert _damage(None, manifest) == "its manifest's graph counts are malformed"
