"""A plan row to a running deployment: the vLLM launch command, the Kubernetes manifests
(checked against the kubernetes client's OpenAPI models, and LeaderWorkerSet against the LWS
API) and the benchmark command, read back and compared with the row; flags and versions
against their documented sources (tests/fixtures/recipes/flags_sources.yaml)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

import tokenfab
from tests.conftest import FIXTURES, assert_one_line_error, cli
from tokenfab.errors import InputError
from tokenfab.recipes import recipe
from tokenfab.recipes.stacks import BENCH, K8S_RESOURCE, SERVE

SOURCES = yaml.safe_load((FIXTURES / "recipes" / "flags_sources.yaml").read_text(encoding="utf-8"))
API = ApiClient()


def k8s_model(obj: dict[str, Any], kind: str) -> Any:
    """Deserialize into the kubernetes client's OpenAPI model (unknown or mistyped fields fail)."""
    return API._ApiClient__deserialize(obj, kind)  # type: ignore[attr-defined]


def flags(argv: list[str]) -> dict[str, str | None]:
    """--flag value pairs (None for a bare flag) of an argv list."""
    out: dict[str, str | None] = {}
    for i, a in enumerate(argv):
        if a.startswith("--"):
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            out[a] = None if nxt is None or nxt.startswith("--") else nxt
    return out


@pytest.fixture(scope="module")
def row() -> tokenfab.Evaluation:
    """Row 1 of a plan on H100 SXM rentals with vLLM, 2 req/s of 1,000 in / 200 out."""
    res = tokenfab.plan(model="llama-3.1-8b", accelerators=["h100-sxm"], stack="vllm", rate_rps=2, isl=1000, osl=200)
    return res.front[0]


def test_plan_row_to_vllm_command_manifest_and_benchmark(row):
    d, wl = row.deployment, row.workload
    r = recipe(row, "vllm")
    argv = shlex.split(r.launch.splitlines()[0])
    assert argv[:3] == ["vllm", "serve", "meta-llama/Llama-3.1-8B"]  # the model's hf_repo
    f = flags(argv)
    dp = int(f.get("--data-parallel-size") or 1)
    assert int(f["--tensor-parallel-size"]) * dp == d.tp * d.replicas_per_instance or d.dp_attention
    assert int(f["--pipeline-parallel-size"]) == d.pp
    # max concurrent sequences = the chosen concurrency per instance (per data-parallel rank in vLLM)
    assert int(f["--max-num-seqs"]) * dp >= d.concurrency_per_instance
    assert int(f["--max-num-seqs"]) * dp - d.concurrency_per_instance < dp
    # max model length: (1000 + 200) x 1.25 = 1500, rounded up to a multiple of 256 = 1536
    assert int(f["--max-model-len"]) == 1536
    # memory fraction = the engine's usable fraction (vLLM's own default, 0.9)
    assert float(f["--gpu-memory-utilization"]) == 0.9
    if d.weights == "fp8":
        assert f["--quantization"] == "fp8"
    assert f["--kv-cache-dtype"] == ("fp8" if d.kv == "fp8" else "auto")

    bench = shlex.split(r.bench.splitlines()[0])
    b = flags(bench)
    assert bench[:3] == ["vllm", "bench", "serve"]
    assert int(b["--max-concurrency"]) == d.concurrency_per_instance
    assert (b["--random-input-len"], b["--random-output-len"]) == ("1000", "200")
    assert b["--dataset-name"] == "random" and "--save-result" in b
    # expected figures beside it: the evaluation's own 80 % range, its class's widened 10th/90th percentile
    # of measured/predicted (data/accuracy_bands.yaml: median m, spread_scale k -> m x (q / m)^k)
    thr = row.performance.throughput_output_tok_per_s
    band = yaml.safe_load((Path(tokenfab.__file__).parent / "data" / "accuracy_bands.yaml").read_text())
    acc = row.performance.accuracy
    entry = band["classes"][acc.accuracy_class] if acc.validated else band["unvalidated"]
    q10, med, q90 = (entry["quantiles"][band["quantiles"].index(x)] for x in (0.1, 0.5, 0.9))
    p10, p90 = (med * (q / med) ** band["spread_scale"] for q in (q10, q90))
    assert r.expected.output_tok_per_s_low == pytest.approx(thr * p10)
    assert r.expected.output_tok_per_s_high == pytest.approx(thr * p90)
    assert f"80 % range {thr * p10:,.0f} - {thr * p90:,.0f}" in r.bench
    assert wl.isl == 1000

    k = recipe(row, "k8s")
    objs = list(yaml.safe_load_all(k.manifests or ""))
    dep_d, svc_d = (next(o for o in objs if o["kind"] == kind) for kind in ("Deployment", "Service"))
    dep, svc = k8s_model(dep_d, "V1Deployment"), k8s_model(svc_d, "V1Service")
    assert (dep.api_version, dep.kind, svc.api_version) == ("apps/v1", "Deployment", "v1")
    assert dep.spec.replicas == d.instances
    assert dep.spec.selector.match_labels == dep.spec.template.metadata.labels == svc.spec.selector
    (ctr,) = dep.spec.template.spec.containers
    assert ctr.resources.limits == {"nvidia.com/gpu": str(d.accelerators_per_instance)}
    assert ctr.ports[0].container_port == svc.spec.ports[0].target_port == 8000
    assert ctr.image == "vllm/vllm-openai:v0.11.0"
    assert shlex.split(ctr.command[2]) == argv  # the same launch command in the pod


def test_multi_node_instance_is_a_leaderworkerset(tmp_path):
    ev = tokenfab.estimate(model="llama-3.1-405b", accelerator="h100-sxm", count=16, stack="sglang", weights="fp8",
                           isl=1024, osl=256)
    r = recipe(ev, "k8s")
    objs = list(yaml.safe_load_all(r.manifests or ""))
    (lws,) = [o for o in objs if o["kind"] == "LeaderWorkerSet"]
    spec = SOURCES["leaderworkerset"]
    assert lws["apiVersion"] == spec["api_version"]
    assert set(lws["spec"]) <= set(spec["spec_fields"])
    t = lws["spec"]["leaderWorkerTemplate"]
    assert set(t) <= set(spec["template_fields"])
    assert t["restartPolicy"] in spec["restart_policies"] and lws["spec"]["startupPolicy"] in spec["startup_policies"]
    # 16 accelerators in servers of 8 (catalog: HGX H100 8-GPU) = 2 pods per group, one group per instance
    assert t["size"] == 2 and lws["spec"]["replicas"] == ev.deployment.instances
    for name in ("leaderTemplate", "workerTemplate"):
        pod = k8s_model(t[name], "V1PodTemplateSpec")
        assert pod.spec.containers[0].resources.limits == {"nvidia.com/gpu": "8"}
    lead_cmd = t["leaderTemplate"]["spec"]["containers"][0]["command"][2]
    work_cmd = t["workerTemplate"]["spec"]["containers"][0]["command"][2]
    assert "--node-rank 0" in lead_cmd and "--node-rank '$(LWS_WORKER_INDEX)'" in work_cmd
    assert "$(LWS_LEADER_ADDRESS):20000" in lead_cmd and "--nnodes 2" in work_cmd
    (svc,) = [o for o in objs if o["kind"] == "Service"]
    assert k8s_model(svc, "V1Service").spec.selector["role"] == "leader"


def test_trtllm_options_file_is_a_configmap():
    ev = tokenfab.estimate(model="llama-3.1-70b", accelerator="h100-sxm", count=8, weights="fp8", isl=1024, osl=256,
                           tp=8)
    assert ev.deployment.stack == "trtllm" and ev.deployment.kv == "fp8"
    r = recipe(ev, "trtllm")
    f = flags(shlex.split(r.launch.splitlines()[0]))
    assert f["--tp_size"] == "8" and f["--max_batch_size"] == str(ev.deployment.concurrency_per_instance)
    assert yaml.safe_load(r.files["extra_llm_api_options.yaml"]) == {"kv_cache_config": {"dtype": "fp8"}}
    # the trtllm stack's budget (data/efficiency.yaml kv_cache_budget): TensorRT-LLM's default 0.90
    # of the memory free after the runtime and the weights, written as that flag unchanged
    assert float(f["--kv_cache_free_gpu_memory_fraction"]) == 0.9
    objs = list(yaml.safe_load_all(recipe(ev, "k8s").manifests or ""))
    cm = k8s_model(next(o for o in objs if o["kind"] == "ConfigMap"), "V1ConfigMap")
    assert "extra_llm_api_options.yaml" in cm.data
    assert "aiperf profile" in r.bench and "--concurrency" in r.bench


@pytest.mark.parametrize("vendor,accelerator,stack", [("AMD", "mi300x", "vllm"), ("Google", "tpu-v6e", "vllm")])
def test_resource_name_per_vendor(vendor, accelerator, stack):
    ev = tokenfab.estimate(model="llama-3.1-8b", accelerator=accelerator, count=1, stack=stack, isl=1000, osl=200)
    objs = list(yaml.safe_load_all(recipe(ev, "k8s").manifests or ""))
    dep = k8s_model(next(o for o in objs if o["kind"] == "Deployment"), "V1Deployment")
    assert dep.spec.template.spec.containers[0].resources.limits == {K8S_RESOURCE[vendor]: "1"}
    assert SOURCES["kubernetes_resources"]["names"][vendor] == K8S_RESOURCE[vendor]


def test_refusals_are_one_line():
    amd = tokenfab.estimate(model="llama-3.1-8b", accelerator="mi300x", count=1, isl=1000, osl=200)
    with pytest.raises(InputError, match="TensorRT-LLM does not run on AMD"):
        recipe(amd, "trtllm")
    nvidia = tokenfab.estimate(model="llama-3.1-8b", accelerator="h100-sxm", count=1, isl=1000, osl=200)
    with pytest.raises(InputError, match="evaluated for stack 'trtllm'; add --stack vllm"):
        recipe(nvidia, "vllm")
    tpu = tokenfab.estimate(model="llama-3.1-8b", accelerator="tpu-v6e", count=1, stack="vllm", isl=1000, osl=200)
    with pytest.raises(InputError, match="SGLang does not run on Google"):
        recipe(tpu, "sglang")
    with pytest.raises(InputError, match="use one of vllm, sglang, trtllm, k8s"):
        recipe(tpu, "docker")
    with pytest.raises(InputError, match="does not run on AMD"):
        tokenfab.estimate(model="llama-3.1-8b", accelerator="mi300x", count=1, stack="trtllm", isl=1000, osl=200)


def test_flags_and_versions_match_their_sources():
    pairs = [(SERVE[k], SOURCES[k]) for k in SERVE] + [(BENCH[k], SOURCES[f"bench_{k}"]) for k in BENCH]
    for tool, src in pairs:
        assert tool.version == src["version"], tool.name
        assert tool.command == src["command"], tool.name
        assert set(tool.flags.values()) <= set(src["flags"]), (tool.name, set(tool.flags.values()) - set(src["flags"]))
        assert src["source"].strip()


def test_cli_plan_recipe_row_out(tmp_path):
    proc = cli("plan", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--stack", "vllm", "--rate-rps", "2",
               "--isl", "1000", "--osl", "200", "--recipe", "k8s", "--row", "1", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["bench.sh", "k8s.yaml"]
    assert "kind: Deployment" in proc.stdout and "vllm bench serve" in proc.stdout
    est = cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--stack", "vllm", "--isl", "1000",
              "--osl", "200", "--recipe", "vllm", "--json")
    assert est.returncode == 0 and json.loads(est.stdout)["stack"] == "vllm"


@pytest.mark.parametrize("args,needle", [
    (["plan", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--stack", "vllm", "--rate-rps", "2",
      "--recipe", "vllm", "--row", "999"], "row = 999"),
    (["plan", "--model", "llama-3.1-8b", "--rate-rps", "2", "--out", "x"], "--out applies to a recipe"),
    (["estimate", "--model", "llama-3.1-8b", "--accelerator", "mi300x", "--recipe", "trtllm"], "does not run on AMD"),
    (["estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--recipe", "podman"], "use one of"),
])
def test_cli_recipe_refusals(tmp_path, args, needle):
    assert_one_line_error(cli(*args, "--isl", "1000", "--osl", "200"), needle, code=2)
