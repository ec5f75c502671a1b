"""Load on the local web app: concurrent `POST /api/plan` requests on loopback.

    python benchmarks/web_load.py [--seconds 20] [--in-flight 32 128] [--workers 2] [--distinct]

Starts `tokenfab serve --workers N` in its own process group (what a user runs), waits for
/api/health, then for each in-flight level keeps that many requests open for `--seconds`.
With `--distinct` (the default) every request is a scenario never asked before (model,
traffic, lengths, limits and sovereignty vary), so the server's cache cannot answer it;
`--repeat` cycles four scenarios instead. Every response must be 200 with a non-empty
front, or 409 with a one-line "no feasible plan" (an answer, not an error); anything else
is an error. Prints requests/s, p50/p90/p99 latency, errors and the peak RSS of the server
(all its processes), sampled every 0.2 s. Last line: errors: N (target 0).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from rss import RssSampler  # benchmarks/rss.py (the script's folder is on sys.path)

MODELS = ("llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "qwen3-30b-a3b", "gpt-oss-120b", "gemma-3-27b")
PRESETS = ("none", "eu-residency", "eu-jurisdiction")


def distinct_scenarios():
    """An endless stream of scenarios, none repeated (rate changes last, so every body differs)."""
    for i in itertools.count():
        yield {"model": MODELS[i % len(MODELS)], "rate_rps": round(0.5 + 0.01 * i, 2),
               "isl": [500, 1000, 2000, 4000][(i // 6) % 4], "osl": [100, 200, 400][(i // 24) % 3],
               "sovereignty": PRESETS[(i // 72) % 3], "tpot_max_s": [0.2, 0.1, 0.05][(i // 5) % 3]}


REPEATED = [
    {"model": "llama-3.1-8b", "rate_rps": 2, "isl": 1000, "osl": 200},
    {"model": "llama-3.1-70b", "rate_rps": 5, "isl": 1000, "osl": 200, "tpot_max_s": 0.05, "sovereignty": "eu-jurisdiction"},
    {"model": "mixtral-8x7b", "tokens_per_day": 5e8, "isl": 2000, "osl": 300, "objectives": ["cost", "carbon"]},
    {"model": "qwen3-30b-a3b", "rate_rps": 10, "isl": 500, "osl": 500, "pricing": ["on_demand", "spot"]},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def load(url: str, seconds: float, in_flight: int, bodies) -> tuple[list[float], list[str], float, int]:
    lat: list[float] = []
    errors: list[str] = []
    infeasible = 0
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        t0 = time.perf_counter()

        async def worker() -> None:
            nonlocal infeasible
            while time.perf_counter() < t0 + seconds:
                body = next(bodies)
                start = time.perf_counter()
                try:
                    r = await client.post("/api/plan", json=body)
                    if r.status_code == 409 and "no feasible plan" in r.json()["detail"]:
                        infeasible += 1
                    elif not (r.status_code == 200 and r.json()["front"]):
                        errors.append(f"{r.status_code}: {r.text[:160]}")
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                lat.append(time.perf_counter() - start)

        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return lat, errors, time.perf_counter() - t0, infeasible


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "TOKENFAB_CATALOG"}
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, "-m", "tokenfab", "serve", "--port", str(port), "--workers", str(workers)],
                            env=env, stderr=subprocess.DEVNULL, start_new_session=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--in-flight", type=int, nargs="+", default=[32, 128])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", action="store_true", help="cycle four scenarios (cache hits) instead of distinct ones")
    a = ap.parse_args()
    port = free_port()
    server = start_server(port, a.workers)
    url = f"http://127.0.0.1:{port}"
    total_errors = 0
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"tokenfab serve did not start (rc={server.poll()})")
            time.sleep(0.2)
        time.sleep(2.0)  # let every worker finish starting
        sampler = RssSampler(server.pid)
        sampler.start()
        bodies = itertools.cycle(REPEATED) if a.repeat else distinct_scenarios()
        for body in itertools.islice(distinct_scenarios(), 0, 8):  # warm-up, not timed
            httpx.post(url + "/api/plan", json=body, timeout=60)
        print(f"tokenfab web load: POST /api/plan, {'4 repeated' if a.repeat else 'distinct'} scenarios, "
              f"{a.workers} uvicorn worker(s), {os.cpu_count()} CPUs, {a.seconds:g} s per level, loopback")
        print(f"{'in flight':>9} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'409s':>5} {'errors':>6} {'peak RSS MB':>11}")
        for n in a.in_flight:
            sampler.peak = 0
            lat, errors, wall, infeasible = asyncio.run(load(url, a.seconds, n, bodies))
            ms = np.array(lat) * 1e3
            total_errors += len(errors)
            print(f"{n:>9} {len(lat):>9} {len(lat) / wall:>7.1f} {np.percentile(ms, 50):>7.0f} {np.percentile(ms, 90):>7.0f} "
                  f"{np.percentile(ms, 99):>7.0f} {ms.max():>7.0f} {infeasible:>5} {len(errors):>6} "
                  f"{sampler.peak / 2**20:>11.0f}")
            for e in errors[:3]:
                print("  error:", e)
        sampler.stop.set()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    print(f"errors: {total_errors}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from tokenfab.errors import run_script

    raise SystemExit(run_script(main))
