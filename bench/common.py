"""What every benchmark section shares: fresh processes with their own peak memory, medians, the machine.

Each measurement runs in a child started with ``spawn`` (a new interpreter, not a fork of the
orchestrator), so the peak resident memory it reports (``ru_maxrss``) is its own: the interpreter,
the libraries and the work measured, nothing inherited.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent
BKG = "https://w3id.org/bukamal-kg/graph/"


def peak_mb() -> int:
    """Peak resident memory of this process, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _trampoline(target, args, queue) -> None:
    try:
        result = target(*args)
        result["peak_mb"] = peak_mb()
        queue.put(("ok", result))
    except BaseException as exc:                      # report it to the parent, who raises
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def in_child(target, *args, timeout: float = 1800) -> dict:
    """Run ``target(*args) -> dict`` in a fresh interpreter; the dict gets ``peak_mb``."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_trampoline, args=(target, args, queue))
    proc.start()
    try:
        status, value = queue.get(timeout=timeout)
    finally:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
    if status != "ok":
        raise RuntimeError(f"{getattr(target, '__name__', target)} failed: {value}")
    return value


def repeat(runs: int, target, *args) -> list[dict]:
    return [in_child(target, *args) for _ in range(runs)]


def median(values) -> float:
    return statistics.median(values)


def summary(results: list[dict], key: str = "seconds") -> dict:
    """Median of ``key`` over the runs, every run, and the largest peak memory."""
    return {key: round(median(r[key] for r in results), 4), "runs": [round(r[key], 4) for r in results],
            "peak_mb": max(r["peak_mb"] for r in results)}


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict:
    """The machine the numbers come from: CPU model and count, memory, OS, Python, library versions."""
    from importlib.metadata import version

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    libs = {}
    for lib in ("pyoxigraph", "oxigraph", "owlrl", "pyshacl", "rdflib", "starlette", "uvicorn"):
        try:
            libs[lib] = version(lib)
        except Exception:
            libs[lib] = "?"
    disk = "?"
    try:
        disk = subprocess.run(["df", "-hT", str(OUT.parent)], capture_output=True, text=True,
                              timeout=5).stdout.splitlines()[-1].split()[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem_gib, "os": platform.platform(),
            "python": platform.python_version(), "filesystem": disk, "libraries": libs}


def project_files(root: Path, shapes: bool = False) -> list[tuple[str, Path]]:
    """(graph name, file) as the build loads them: the ontology (and shapes), metadata, triples/."""
    files = [("shapes" if f.name == "shapes.ttl" else "ontology", f) for f in sorted((root / "ontology").glob("*.ttl"))
             if shapes or f.name != "shapes.ttl"]
    if (root / "corpus" / "metadata.ttl").is_file():
        files.append(("corpus", root / "corpus" / "metadata.ttl"))
    return files + [(f.stem, f) for f in sorted((root / "triples").glob("*.ttl"))]


def ensure_project(size: int, seed: int) -> Path:
    """The synthetic project of ``size`` triples (generated once into bench/out/, reused after), with
    the repository's current ontology and shapes (copied again when they changed since: the build is
    measured with the shapes and rules it has now; the one-file dataset of the baseline is then remade)."""
    from .generate import MARKER, generate, marker_line

    out = OUT / f"synth-{size}-seed{seed}"
    marker = out / MARKER
    if not (marker.is_file() and marker.read_text(encoding="utf-8").startswith(marker_line(size, seed))):
        generate(size, seed, out)
        (out.parent / f"{out.name}.trig").unlink(missing_ok=True)      # made from the old project
    elif _refresh_ontology(out):
        (out.parent / f"{out.name}.trig").unlink(missing_ok=True)
    return out


def _refresh_ontology(project: Path) -> bool:
    """Make ``project/ontology`` hold exactly the repository's ontology files; True if anything changed."""
    import shutil

    repo = {p.name: p for p in (ROOT / "ontology").glob("*.ttl")}
    folder = project / "ontology"
    changed = False
    for name, src in repo.items():
        dest = folder / name
        if not dest.is_file() or dest.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dest)
            changed = True
    for dest in folder.glob("*.ttl"):
        if dest.name not in repo:
            dest.unlink()
            changed = True
    return changed


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
