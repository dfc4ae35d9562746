#!/usr/bin/env python3
"""Per-layer forward+backward as each layer runs inside a network: Nabla (bench_layers), raw oneDNN with its
own layouts and no reorders (../shared/reference/layers/conv_bench.cpp, variant "any"), and PyTorch as installed
and "tuned" (GLIBC_TUNABLES keeps glibc from mapping every large tensor afresh), side by side: each round runs
all four in turn, each in its own process after its own warm-up. Also the depthwise-separable block
(depthwise 3x3 -> ReLU -> pointwise 1x1 -> ReLU, 32x64x56x56) against its raw-oneDNN twin
(tools/bench/onednn_dsblock.cpp, layouts kept; with and without ReLU fused as a post-op), written with F:: calls
(dsblock) and as an nn::Sequential, which fuses each ReLU into its conv (dsblock_fused).
Ratios are per round, then the median: oneDNN/Nabla (>= 0.90 is the target) and PyTorch/Nabla (> 1: Nabla leads).
Dev-time only (Debian's python3-torch):

    /usr/bin/python3 tools/bench/layers.py --build build --reference ../shared/reference --threads 2 [--bf16|--int8]

--bf16: Nabla's layers under bfloat16 autocast (bench_layers --bf16) and PyTorch's under torch.autocast, forward
and backward; the raw oneDNN column stays float32. --int8 (inference): each conv layer's forward in float32 and in
int8 in Nabla (tools/bench/bench_int8_layers, alternating in one process) beside PyTorch's quantized conv modules
(torch.ao.nn.quantized, onednn engine, weights prepacked once, channels-last input), as installed and tuned.
"""
import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import time

LAYERS = ["conv1d", "conv2d_A", "conv2d_B", "conv2d_C", "depthwise", "pointwise", "conv3d", "deconv2d"]
TUNED = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2000000000"


def per_call_ms(step, iters):
    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    return (time.perf_counter() - start) * 1000 / iters


def child_torch_int8(reference, layer, iters):
    """PyTorch's quantized conv module for the layer (onednn engine): forward of a quint8 channels-last input."""
    import torch
    import torch.ao.nn.quantized as nnq
    sys.path.insert(0, os.path.join(reference, "layers"))
    from torch_layers import LAYERS as SHAPES
    torch.backends.quantized.engine = "onednn"
    fn, xs, ws, kw = SHAPES[layer]
    groups = kw.get("groups", 1)
    module = {3: nnq.Conv1d, 4: nnq.Conv2d, 5: nnq.Conv3d}[len(xs)](ws[1] * groups, ws[0], tuple(ws[2:]),
                                                                     padding=kw.get("padding", 0), groups=groups)
    w = torch.rand(ws) - 0.5
    scales = w.abs().flatten(1).amax(1) / 127.5
    module.set_weight_bias(torch.quantize_per_channel(w, scales.double(), torch.zeros(ws[0], dtype=torch.long), 0,
                                                      torch.qint8), torch.rand(ws[0]) - 0.5)
    module.scale, module.zero_point = 1.0 / 255, 0
    x = torch.quantize_per_tensor(torch.rand(xs) - 0.5, 1.0 / 255, 128, torch.quint8)
    if len(xs) > 3:
        x = x.contiguous(memory_format=torch.channels_last if len(xs) == 4 else torch.channels_last_3d)
    with torch.no_grad():
        return per_call_ms(lambda: module(x), iters)


def child_torch(reference, layer, iters, bf16=False):
    """PyTorch: forward, then autograd.grad for input, weight and bias (torch_layers.py's TorchLayer); with bf16,
    the forward under torch.autocast and the output gradient in bfloat16."""
    import torch
    sys.path.insert(0, os.path.join(reference, "layers"))
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    if layer.startswith("dsblock"):
        import torch.nn.functional as F
        g = torch.Generator().manual_seed(0)
        x = (torch.rand((32, 64, 56, 56), generator=g) - 0.5).requires_grad_()
        params = [(torch.rand(s, generator=g) - 0.5).requires_grad_() for s in [(64, 1, 3, 3), (64,), (128, 64, 1, 1), (128,)]]
        wd, bd, wp, bp = params

        def forward():
            with autocast:
                return F.relu(F.conv2d(F.relu(F.conv2d(x, wd, bd, padding=1, groups=64)), wp, bp))

        gy = torch.rand(forward().shape, generator=g).to(forward().dtype)
        return per_call_ms(lambda: torch.autograd.grad(forward(), [x] + params, gy), iters)
    from torch_layers import TorchLayer
    t = TorchLayer(layer)
    if not bf16:
        return per_call_ms(lambda: t.sample(1), iters)
    gy = t.gy.to(torch.bfloat16)

    def step():
        with autocast:
            y = t.fn(t.x, t.w, t.b, **t.kw)
        torch.autograd.grad(y, (t.x, t.w, t.b), gy)
    return per_call_ms(step, iters)


def child_onednn(library, layer, iters):
    """Raw oneDNN, layouts of its own choosing, no reorders: forward, backward-data, backward-weights."""
    lib = ctypes.CDLL(library)
    lib.cb_build.restype = ctypes.c_void_p
    lib.cb_build.argtypes = [ctypes.c_int, ctypes.c_char_p]
    lib.cb_run.restype = ctypes.c_double
    lib.cb_run.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.cb_layer_name.restype = ctypes.c_char_p
    names = [lib.cb_layer_name(i).decode() for i in range(lib.cb_num_layers())]
    handle = lib.cb_build(names.index(layer), b"any")
    # The three passes one after the other, as a network's step runs them (conv_bench's own timing repeats one
    # pass back to back, which keeps its operands in cache and flatters memory-bound layers such as depthwise).
    return per_call_ms(lambda: [lib.cb_run(handle, p, 1) for p in range(3)], iters)


def run(command, env):
    return float(subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout.strip().split()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--reference", default="../shared/reference")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layers", default=",".join(LAYERS + ["dsblock", "dsblock_fused"]))
    parser.add_argument("--bf16", action="store_true", help="Nabla and PyTorch under bfloat16 autocast")
    parser.add_argument("--int8", action="store_true", help="forward in int8: Nabla against PyTorch's quantized convs")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "LAYER", "ITERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, layer, iters = args.child
        if kind.startswith("torch"):
            import torch
            torch.set_num_threads(args.threads)
            ms = child_torch_int8(args.reference, layer, int(iters)) if kind == "torch_int8" else \
                child_torch(args.reference, layer, int(iters), bf16=kind == "torch_bf16")
            print(f"{ms:.4f}")
        else:
            print(f"{child_onednn(os.path.join(args.build, 'libconv_bench.so'), layer, int(iters)):.4f}")
        return

    library = os.path.join(args.build, "libconv_bench.so")
    source = os.path.join(args.reference, "layers", "conv_bench.cpp")
    if not os.path.exists(library) or os.path.getmtime(library) < os.path.getmtime(source):
        subprocess.run(["g++", "-O2", "-std=c++17", "-fopenmp", "-shared", "-fPIC", "-DCB_LIB", source, "-o", library,
                        "-ldnnl"], check=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}  # unset for PyTorch's BLAS
    base["OMP_NUM_THREADS"] = str(args.threads)
    tuned = dict(base, GLIBC_TUNABLES=TUNED)
    me = [sys.executable, os.path.abspath(__file__), "--build", args.build, "--reference", args.reference,
          "--threads", str(args.threads), "--child"]
    bench = os.path.join(args.build, "tools", "bench")
    if args.int8:
        return int8_rows(args, me, bench, base, tuned)
    torch_kind = "torch_bf16" if args.bf16 else "torch"
    print(f"# {args.threads} threads, {args.iters} iterations per measurement, {args.rounds} rounds; ms per forward+backward")
    print("layer,round,nabla_ms,onednn_ms,torch_ms,torch_tuned_ms,onednn/nabla,torch/nabla,torch_tuned/nabla")
    summary = []
    for layer in args.layers.split(","):
        it = str(args.iters)
        runners = {"nabla": ([os.path.join(bench, "bench_layers"), layer, it] + (["--bf16"] if args.bf16 else []), base),
                   "torch": (me + [torch_kind, layer, it], base),
                   "torch_tuned": (me + [torch_kind, layer, it], tuned)}
        if layer.startswith("dsblock"):
            runners["onednn"] = ([os.path.join(bench, "onednn_dsblock"), it], base)
            runners["onednn_fused"] = ([os.path.join(bench, "onednn_dsblock"), it, "--fuse-relu"], base)
        else:
            runners["onednn"] = (me + ["onednn", layer, it], base)
        ratios = {k: [] for k in runners if k != "nabla"}
        for r in range(args.rounds):
            ms = {name: run(command, env) for name, (command, env) in runners.items()}
            for k in ratios:
                ratios[k].append(ms[k] / ms["nabla"])
            extra = f",onednn_fused {ms['onednn_fused']:.3f} ms ({ms['onednn_fused'] / ms['nabla']:.2f})" if "onednn_fused" in ms else ""
            print(f"{layer},{r},{ms['nabla']:.3f},{ms['onednn']:.3f},{ms['torch']:.3f},{ms['torch_tuned']:.3f},"
                  f"{ms['onednn'] / ms['nabla']:.2f},{ms['torch'] / ms['nabla']:.2f},{ms['torch_tuned'] / ms['nabla']:.2f}{extra}",
                  flush=True)
        summary.append((layer, {k: statistics.median(v) for k, v in ratios.items()}))
    print("\nmedian ratios (time of the other / time of Nabla; higher is better for Nabla)")
    print(f"{'layer':<10} {'oneDNN/Nabla':>13} {'PyTorch/Nabla':>14} {'tuned/Nabla':>12}")
    for layer, m in summary:
        fused = f"   (fused-ReLU twin {m['onednn_fused']:.2f})" if "onednn_fused" in m else ""
        print(f"{layer:<10} {m['onednn']:>13.2f} {m['torch']:>14.2f} {m['torch_tuned']:>12.2f}{fused}")


def int8_rows(args, me, bench, base, tuned):
    """Each conv layer's forward: Nabla float32 and int8 (bench_int8_layers, its own alternating rounds), PyTorch's
    quantized module as installed and tuned (one process per measurement, rounds alternating)."""
    out = subprocess.run([os.path.join(bench, "bench_int8_layers"), str(args.iters), str(args.rounds)], env=base,
                         check=True, capture_output=True, text=True).stdout
    nabla = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0] in LAYERS:
            nabla[fields[0]] = (float(fields[1]), float(fields[2]), float(fields[3].rstrip("x")))
    print(f"# {args.threads} threads, ms per forward; Nabla's from bench_int8_layers {args.iters} {args.rounds}")
    print(f"{'layer':<10} {'f32':>8} {'int8':>8} {'int8 vs f32':>12} {'PyTorch':>9} {'tuned':>9} {'vs PyTorch':>11} "
          f"{'vs tuned':>9}")
    for layer in [name for name in LAYERS if name in nabla]:
        it = str(args.iters)
        torch_ms = [run(me + ["torch_int8", layer, it], base) for _ in range(args.rounds)]
        tuned_ms = [run(me + ["torch_int8", layer, it], tuned) for _ in range(args.rounds)]
        f32, int8, speedup = nabla[layer]
        t, tt = statistics.median(torch_ms), statistics.median(tuned_ms)
        print(f"{layer:<10} {f32:>8.3f} {int8:>8.3f} {speedup:>11.2f}x {t:>9.3f} {tt:>9.3f} {t / int8:>10.2f}x "
              f"{tt / int8:>8.2f}x", flush=True)


if __name__ == "__main__":
    main()
