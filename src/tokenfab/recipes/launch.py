"""The launch command of one serving stack for one evaluated deployment (argv lists; the
flag names come from :mod:`tokenfab.recipes.stacks`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from .shape import DEFAULT_PORT, Shape
from .stacks import SERVE

# weights tokenfab computes at 8 bits and below need a checkpoint in that format, except FP8,
# which vLLM and SGLang quantize on load from a 16-bit checkpoint (--quantization fp8)
PREQUANTIZED = ("fp4", "nvfp4", "mxfp4")


@dataclass(frozen=True)
class Launch:
    argv: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)  # extra files the command reads
    notes: tuple[str, ...] = ()
    # multi-node: the command each worker node runs ({leader} is the leader's address)
    worker_argv: tuple[str, ...] = ()


def _live_only_note(s: Shape, server: str) -> list[str]:
    """vLLM and SGLang allocate KV blocks as tokens come; neither reserves a whole request."""
    if s.kv_reserve == "request":
        return [f"{server} admits on the current context and has no setting that reserves a whole request: the "
                "estimate (kv_reserve request) assumed fewer sequences fit than this server will run"]
    return []


def _checkpoint_note(s: Shape) -> list[str]:
    if s.weights in PREQUANTIZED:
        return [f"weights {s.weights}: serve a checkpoint already quantized to {s.weights} in place of "
                f"{s.model_repo} (no load-time flag quantizes to {s.weights})"]
    return []


def vllm(s: Shape) -> Launch:
    f = SERVE["vllm"].flags
    notes = _checkpoint_note(s) + _live_only_note(s, "vLLM")
    if s.dp_attention:  # attention data-parallel over the TP ranks, experts over all of them
        tp, dp = 1, s.tp * s.replicas
    else:
        tp, dp = s.tp, s.replicas
    argv = ["vllm", "serve", s.model_repo, f["tp"], str(tp), f["pp"], str(s.pp)]
    if dp > 1:
        argv += [f["dp"], str(dp)]
    if s.ep > 1 or s.dp_attention:
        argv += [f["ep"]]
        if s.ep != tp * dp:
            notes.append(f"vLLM's expert parallelism spans TP x DP = {tp * dp} ranks; the evaluation assumed "
                         f"ep {s.ep}")
    if s.weights == "fp8":
        argv += [f["quantization"], "fp8"]
    elif s.weights in ("bf16", "fp16"):
        argv += [f["dtype"], "bfloat16" if s.weights == "bf16" else "float16"]
    argv += [f["kv"], "fp8" if s.kv == "fp8" else "auto", f["max_seqs"], str(s.max_seqs_per_replica),
             f["max_len"], str(s.max_model_len), f["memory"], f"{s.memory_fraction:g}", f["port"], str(DEFAULT_PORT)]
    if dp > 1:
        notes.append(f"--max-num-seqs applies per data-parallel rank: {s.max_seqs_per_replica} x {dp} ranks "
                     f"= the instance's {s.max_seqs_per_instance} concurrent requests")
    worker: tuple[str, ...] = ()
    if s.nodes > 1:
        notes.append(f"one instance spans {s.nodes} nodes of {s.per_node} ({s.per_node_basis}): start Ray on "
                     "every node first (leader: ray start --head; workers: ray start --address LEADER:6379)")
        worker = ("ray", "start", "--address={leader}:6379", "--block")
    return Launch(tuple(argv), notes=tuple(notes), worker_argv=worker)


def sglang(s: Shape) -> Launch:
    f = SERVE["sglang"].flags
    notes = _checkpoint_note(s) + _live_only_note(s, "SGLang")
    argv = ["python", "-m", "sglang.launch_server", f["model"], s.model_repo, f["tp"], str(s.tp)]
    if s.pp > 1:
        argv += [f["pp"], str(s.pp)]
    if s.dp_attention:
        argv += [f["dp_attention"], f["dp"], str(s.tp)]
    elif s.replicas > 1:
        argv += [f["dp"], str(s.replicas)]
    if s.ep > 1:
        argv += [f["ep"], str(s.ep)]
    if s.weights == "fp8":
        argv += [f["quantization"], "fp8"]
    if s.kv == "fp8":
        argv += [f["kv"], "fp8_e4m3"]
    argv += [f["max_seqs"], str(s.max_seqs_per_instance), f["max_len"], str(s.max_model_len),
             f["memory"], f"{s.memory_fraction:g}", f["host"], "0.0.0.0", f["port"], str(DEFAULT_PORT)]
    worker: tuple[str, ...] = ()
    if s.nodes > 1:
        multi = [f["nnodes"], str(s.nodes), f["dist_init"], "{leader}:20000", f["node_rank"]]
        worker = (*argv, *multi, "{rank}")
        argv += [*multi, "0"]
    return Launch(tuple(argv), notes=tuple(notes), worker_argv=worker)


def trtllm(s: Shape) -> Launch:
    f = SERVE["trtllm"].flags
    notes = _checkpoint_note(s)
    if s.weights == "fp8":
        notes.append("weights fp8: serve an FP8 checkpoint (e.g. quantized with NVIDIA ModelOpt); "
                     "trtllm-serve has no load-time quantization flag")
    extra: dict[str, object] = {}
    if s.dp_attention:
        extra["enable_attention_dp"] = True
    if s.kv == "fp8":
        extra["kv_cache_config"] = {"dtype": "fp8"}
    if s.kv_reserve == "live":  # the estimate admitted on the current context: MAX_UTILIZATION, not the default
        extra["scheduler_config"] = {"capacity_scheduler_policy": "MAX_UTILIZATION"}
        notes.append("scheduler_config capacity_scheduler_policy MAX_UTILIZATION: the estimate admitted sequences on "
                     "their current context (kv_reserve live); it may pause requests when the KV cache fills")
    argv = ["trtllm-serve", s.model_repo, f["backend"], "pytorch", f["tp"], str(s.tp), f["pp"], str(s.pp)]
    if s.ep > 1:
        argv += [f["ep"], str(s.ep)]
    argv += [f["max_seqs"], str(s.max_seqs_per_instance if s.replicas == 1 else s.max_seqs_per_replica),
             f["max_len"], str(s.max_model_len), f["memory"], f"{s.kv_free_fraction:g}",
             f["host"], "0.0.0.0", f["port"], str(DEFAULT_PORT)]
    files = {}
    if extra:
        argv += [f["extra"], "extra_llm_api_options.yaml"]
        files["extra_llm_api_options.yaml"] = yaml.safe_dump(extra, sort_keys=False)
    notes.append(f"--kv_cache_free_gpu_memory_fraction {s.kv_free_fraction:g} is the share of the memory left after "
                 "the runtime and the weights that the engine gave the KV cache (the estimate's stack budget; "
                 f"{s.memory_fraction:g} of the device for weights and KV cache together)")
    if s.replicas > 1 and not s.dp_attention:
        notes.append(f"run {s.replicas} servers, one per group of {s.tp * s.pp} GPUs (CUDA_VISIBLE_DEVICES), "
                     "behind one load balancer; --max_batch_size is per server")
    if s.nodes > 1:
        notes.append(f"one instance spans {s.nodes} nodes: launch under mpirun/Slurm with "
                     f"{s.tp * s.pp} ranks (TensorRT-LLM multi-node docs)")
    return Launch(tuple(argv), files=files, notes=tuple(notes))


BUILDERS = {"vllm": vllm, "sglang": sglang, "trtllm": trtllm}
