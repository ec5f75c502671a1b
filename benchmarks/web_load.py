"""Load on the local web app: concurrent `POST /api/plan` requests on loopback.

    python benchmarks/web_load.py [--seconds 20] [--concurrency 8] [--port 0]

Starts `tokenfab serve` in its own process (what a user runs), waits for /api/health, then
keeps `--concurrency` requests in flight for `--seconds`, cycling through a few scenarios
(different models, traffic, limits and sovereignty presets). Every response must be 200
with a non-empty Pareto front; anything else is an error. Prints requests/s, p50/p90/p99
latency and the error count. Last line: errors: N (target 0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time

import httpx
import numpy as np

SCENARIOS = [
    {"model": "llama-3.1-8b", "rate_rps": 2, "isl": 1000, "osl": 200},
    {"model": "llama-3.1-70b", "rate_rps": 5, "isl": 1000, "osl": 200, "tpot_max_s": 0.05, "sovereignty": "eu-jurisdiction"},
    {"model": "mixtral-8x7b", "tokens_per_day": 5e8, "isl": 2000, "osl": 300, "objective": ["cost", "carbon"]},
    {"model": "qwen3-30b-a3b", "rate_rps": 10, "isl": 500, "osl": 500, "pricing": ["on_demand", "spot"]},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def worker(client: httpx.AsyncClient, stop_at: float, k: int, lat: list[float], errors: list[str]) -> None:
    i = k
    while time.perf_counter() < stop_at:
        body = SCENARIOS[i % len(SCENARIOS)]
        i += 1
        t0 = time.perf_counter()
        try:
            r = await client.post("/api/plan", json=body)
            ok = r.status_code == 200 and len(r.json()["front"]) > 0
            if not ok:
                errors.append(f"{r.status_code}: {r.text[:120]}")
        except httpx.HTTPError as exc:
            errors.append(repr(exc))
        lat.append(time.perf_counter() - t0)


async def load(url: str, seconds: float, concurrency: int) -> tuple[list[float], list[str], float]:
    lat: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        for body in SCENARIOS:  # warm-up: one of each, not timed
            (await client.post("/api/plan", json=body)).raise_for_status()
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client, t0 + seconds, k, lat, errors) for k in range(concurrency)))
        return lat, errors, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--port", type=int, default=0, help="0 = a free port")
    a = ap.parse_args()
    port = a.port or free_port()
    env = {k: v for k, v in os.environ.items() if k != "TOKENFAB_CATALOG"}
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    server = subprocess.Popen([sys.executable, "-m", "tokenfab", "serve", "--port", str(port)], env=env,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"tokenfab serve did not start (rc={server.poll()})")
            time.sleep(0.2)
        lat, errors, wall = asyncio.run(load(url, a.seconds, a.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)
    ms = np.array(lat) * 1e3
    print(f"tokenfab web load: {len(SCENARIOS)} plan scenarios cycled, {a.concurrency} in flight, "
          f"{wall:.1f} s on loopback, {os.cpu_count()} CPUs, one uvicorn worker")
    print(f"{'requests':>10} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    print(f"{len(lat):>10} {len(lat) / wall:>8.1f} {np.percentile(ms, 50):>8.0f} {np.percentile(ms, 90):>8.0f} "
          f"{np.percentile(ms, 99):>8.0f} {ms.max():>8.0f} {len(errors):>7}")
    for e in errors[:5]:
        print("error:", e)
    print(f"errors: {len(errors)}")


if __name__ == "__main__":
    main()
