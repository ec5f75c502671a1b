"""The serving and benchmark tools recipes are written for: each tool's named version, the
flag names used (copied from its documentation or source; every flag and its source is
listed in tests/fixtures/recipes/flags_sources.yaml, which a test checks this table
against), its container image, and the accelerator vendors it runs on (from the catalog's
stacks.yaml where the stack is in it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog.hardware import Accelerator
from ..catalog.loader import Catalog
from ..errors import InputError


@dataclass(frozen=True)
class Tool:
    name: str
    version: str
    command: str
    flags: dict[str, str]  # concept -> flag name
    images: dict[str, str] = field(default_factory=dict)  # accelerator vendor -> image


SERVE: dict[str, Tool] = {
    "vllm": Tool("vLLM", "0.11.0", "vllm serve", {
        "tp": "--tensor-parallel-size", "pp": "--pipeline-parallel-size", "dp": "--data-parallel-size",
        "ep": "--enable-expert-parallel", "quantization": "--quantization", "kv": "--kv-cache-dtype",
        "dtype": "--dtype", "max_seqs": "--max-num-seqs", "max_len": "--max-model-len",
        "memory": "--gpu-memory-utilization", "host": "--host", "port": "--port"},
        {"NVIDIA": "vllm/vllm-openai:v0.11.0", "AMD": "rocm/vllm:latest", "Google": "vllm/vllm-tpu:latest",
         "AWS": "public.ecr.aws/neuron/pytorch-inference-vllm-neuronx:latest", "Intel": "vllm/vllm-gaudi:latest"}),
    "sglang": Tool("SGLang", "0.5.3", "python -m sglang.launch_server", {
        "model": "--model-path", "tp": "--tp-size", "pp": "--pp-size", "dp": "--dp-size", "ep": "--ep-size",
        "dp_attention": "--enable-dp-attention", "quantization": "--quantization", "kv": "--kv-cache-dtype",
        "max_seqs": "--max-running-requests", "max_len": "--context-length", "memory": "--mem-fraction-static",
        "nnodes": "--nnodes", "node_rank": "--node-rank", "dist_init": "--dist-init-addr",
        "host": "--host", "port": "--port"},
        {"NVIDIA": "lmsysorg/sglang:v0.5.3-cu126", "AMD": "lmsysorg/sglang:v0.5.3-rocm630-mi30x"}),
    "trtllm": Tool("TensorRT-LLM", "1.0.0", "trtllm-serve", {
        "backend": "--backend", "tp": "--tp_size", "pp": "--pp_size", "ep": "--ep_size",
        "max_seqs": "--max_batch_size", "max_tokens": "--max_num_tokens", "max_len": "--max_seq_len",
        "memory": "--kv_cache_free_gpu_memory_fraction", "extra": "--extra_llm_api_options",
        "host": "--host", "port": "--port"},
        {"NVIDIA": "nvcr.io/nvidia/tensorrt-llm/release:1.0.0"}),
}

BENCH: dict[str, Tool] = {
    "vllm": Tool("vllm bench serve", "0.11.0", "vllm bench serve", {
        "backend": "--backend", "model": "--model", "base_url": "--base-url", "dataset": "--dataset-name",
        "isl": "--random-input-len", "osl": "--random-output-len", "prompts": "--num-prompts",
        "concurrency": "--max-concurrency", "rate": "--request-rate", "ignore_eos": "--ignore-eos",
        "save": "--save-result", "result_dir": "--result-dir", "result_file": "--result-filename"}),
    "sglang": Tool("SGLang bench_serving", "0.5.3", "python -m sglang.bench_serving", {
        "backend": "--backend", "model": "--model", "base_url": "--base-url", "dataset": "--dataset-name",
        "isl": "--random-input-len", "osl": "--random-output-len", "range": "--random-range-ratio",
        "prompts": "--num-prompts", "concurrency": "--max-concurrency", "rate": "--request-rate",
        "output": "--output-file"}),
    "aiperf": Tool("NVIDIA AIPerf", "0.8.0", "aiperf profile", {
        "model": "--model", "url": "--url", "endpoint_type": "--endpoint-type", "streaming": "--streaming",
        "isl": "--synthetic-input-tokens-mean", "isl_std": "--synthetic-input-tokens-stddev",
        "osl": "--output-tokens-mean", "osl_std": "--output-tokens-stddev", "concurrency": "--concurrency",
        "requests": "--request-count", "artifacts": "--artifact-dir"}),
    "guidellm": Tool("GuideLLM", "0.3.0", "guidellm benchmark", {
        "target": "--target", "profile": "--rate-type", "rate": "--rate", "data": "--data",
        "max_requests": "--max-requests", "output": "--output-path"}),
}

# which benchmark tool checks which serving stack's recipe
BENCH_FOR_STACK = {"vllm": "vllm", "sglang": "sglang", "trtllm": "aiperf"}
# the catalog stacks a recipe stack serves (vLLM's ROCm build is vLLM)
FAMILY = {"vllm": ("vllm", "vllm-rocm"), "sglang": ("sglang",), "trtllm": ("trtllm",)}
# Kubernetes extended resource name of one accelerator, per vendor (device plugins' documentation;
# tests/fixtures/recipes/flags_sources.yaml)
K8S_RESOURCE = {"NVIDIA": "nvidia.com/gpu", "AMD": "amd.com/gpu", "Google": "google.com/tpu",
                "AWS": "aws.amazon.com/neuron", "Intel": "habana.ai/gaudi"}


def check_runs(cat: Catalog, stack: str, acc: Accelerator) -> None:
    """Refuse, in one line, a serving stack that does not run on this accelerator's vendor
    (catalog stacks.yaml ``accelerator_vendors``) or that no recipe exists for."""
    if stack not in SERVE:
        raise InputError(f"recipe = {stack!r}: use one of {', '.join([*SERVE, 'k8s'])}")
    vendors = cat.stack(stack).accelerator_vendors
    if acc.vendor not in vendors or acc.vendor not in SERVE[stack].images:
        raise InputError(f"recipe = {stack!r}: {SERVE[stack].name} does not run on {acc.vendor} accelerators "
                         f"({acc.id}); catalog stacks.yaml lists {', '.join(vendors)}. Fix: choose another --recipe")


def recipe_stack(evaluated_stack: str) -> str | None:
    """The recipe stack of a catalog stack id (None when no recipe serves it)."""
    for k, members in FAMILY.items():
        if evaluated_stack in members:
            return k
    return None
