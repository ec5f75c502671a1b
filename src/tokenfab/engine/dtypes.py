"""Storage and compute of number formats.

Bytes per parameter include block scales: NVFP4 = 4-bit values + one FP8 scale per
16 values = 4.5 bits; MXFP4 (OCP MX) = 4-bit values + one 8-bit scale per 32 = 4.25 bits;
FP8 per-tensor/128-block scales are negligible.
``mxfp4`` may run weight-only on chips without an FP4 peak: weights stream at 4.25 bits and
are dequantized to BF16 in the GEMM, which runs at the BF16 peak (W4A16, as TensorRT-LLM runs
gpt-oss on Hopper: NVIDIA/TensorRT-LLM examples/models/core/gpt_oss/README.md, MoE support
matrix); ``fp4``/``nvfp4`` need an FP4 peak.
"""

from __future__ import annotations

from typing import Literal

WEIGHT_BYTES_PER_PARAM: dict[str, float] = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "fp4": 4.5 / 8,
    "nvfp4": 4.5 / 8,
    "mxfp4": 4.25 / 8,
}
KV_BYTES_PER_ELEMENT: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "fp4": 4.5 / 8, "nvfp4": 4.5 / 8}
# which datasheet peak a weight format computes at, best first
COMPUTE_PEAK_ORDER: dict[str, tuple[str, ...]] = {
    "bf16": ("bf16",),
    "fp16": ("bf16",),
    "fp8": ("fp8",),
    "fp4": ("fp4",),
    "nvfp4": ("fp4",),
    "mxfp4": ("fp4", "bf16"),
}

FOUR_BIT_FORMATS: tuple[str, ...] = ("fp4", "nvfp4", "mxfp4")

# 4-bit formats that run weight-only (dequantized to BF16 inside the GEMM) on chips without an
# FP4 peak, and the efficiency key of that mixed-input GEMM: its fraction of the BF16 peak is
# fitted per tensor-core architecture (accuracy/calibration.py FITTED_DTYPES), since the
# dequantization in the GEMM main loop costs issue slots a native BF16 GEMM does not spend
WEIGHT_ONLY_FORMATS: tuple[str, ...] = ("mxfp4",)
WEIGHT_ONLY_PEAK = "bf16"  # the datasheet peak a weight-only GEMM computes at
WEIGHT_ONLY_EFFICIENCY = "w4a16"
# the same 4-bit formats against 8-bit activations (``ModelSpec.activation_dtype_4bit`` 'fp8':
# gpt-oss's MXFP4 experts against MXFP8 activations on Blackwell, NVIDIA/TensorRT-LLM
# examples/models/core/gpt_oss/README.md) run a block-scaled mixed-input GEMM at the FP8 peak:
# a kernel of its own, not the dense FP8 GEMM the derated efficiency measured, so its fraction
# of the FP8 peak is fitted per architecture too
MIXED_PEAK = "fp8"
MIXED_EFFICIENCY = "w4a8"
# efficiency key of a mixed-input GEMM -> the datasheet peak it computes at
# FP8 weights with one scale per block of weights (``ModelSpec.fp8_block_scales``: DeepSeek-V3/R1's
# 128 x 128) run a block-scaled FP8 GEMM at the FP8 peak: its fraction of the per-tensor kernel's rate
# is measured per architecture (efficiency.yaml block_scaled_fp8), not fitted
BLOCK_SCALED_EFFICIENCY = "fp8_block"
EFFICIENCY_PEAK: dict[str, str] = {WEIGHT_ONLY_EFFICIENCY: WEIGHT_ONLY_PEAK, MIXED_EFFICIENCY: MIXED_PEAK,
                                   BLOCK_SCALED_EFFICIENCY: "fp8"}
# the other way: the efficiency key of a WEIGHT_ONLY_FORMATS checkpoint computing at a peak (a peak
# not listed, e.g. a chip's own FP4, is its own key)
EFFICIENCY_KEY: dict[str, str] = {WEIGHT_ONLY_PEAK: WEIGHT_ONLY_EFFICIENCY, MIXED_PEAK: MIXED_EFFICIENCY}

WeightDtype = Literal["bf16", "fp16", "fp8", "fp4", "nvfp4", "mxfp4"]
KvDtype = Literal["bf16", "fp16", "fp8", "fp4", "nvfp4"]
# the precisions searched when none is given (plus the model's release format): what serving
# stacks run routinely without a quality study; FP4 weights are opt-in (--weights fp4)
DEFAULT_WEIGHT_SEARCH: tuple[str, ...] = ("bf16", "fp8")
