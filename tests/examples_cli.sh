#!/usr/bin/env bash
# MobileNet and DCGAN end to end on a subset of Fashion-MNIST: MobileNet trains an epoch, resumes for a second
# and leaves its files; a tiny MNIST classifier is trained, the DCGAN trains an epoch scored with it, then
# `score` and `generate` work from its checkpoint; a missing checkpoint is refused by name. The resumed MobileNet is
# exported to ONNX, which the onnx example describes, evaluates (the same accuracy) and fine-tunes. Fashion-MNIST
# written as an image folder (PNG, JPEG) trains the MobileNet through the streaming loader with augmentation.
# Usage: examples_cli.sh MOBILENET DCGAN MNIST WORKDIR ONNX IMAGE_FOLDER
set -euo pipefail
mobilenet=$1 dcgan=$2 mnist=$3 work=$4 onnx=$5 image_folder=$6
rm -rf "$work" && mkdir -p "$work"
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

"$mobilenet" --threads 2 --epochs 1 --limit 1024 --save "$work/mobilenet" --quiet > "$work/mobilenet.log"
grep -q "depthwise-separable blocks: 8.3x fewer parameters" "$work/mobilenet.log"
grep -q "^epoch 1: " "$work/mobilenet.log"
"$mobilenet" --threads 2 --epochs 2 --limit 1024 --save "$work/mobilenet" --quiet \
  --resume "$work/mobilenet/checkpoint.safetensors" --export-onnx "$work/mobilenet.onnx" > "$work/mobilenet_resume.log"
grep -q "resumed from .* after epoch 1" "$work/mobilenet_resume.log" && grep -q "^epoch 2: " "$work/mobilenet_resume.log"
grep -q "^exported $work/mobilenet.onnx" "$work/mobilenet_resume.log"
"$onnx" info "$work/mobilenet.onnx" > "$work/onnx_info.log"
grep -q "operators (as run, fused): Conv+Relu×11 Flatten×1 Gemm×1 GlobalAveragePool×1" "$work/onnx_info.log"
accuracy=$(grep -oE "test accuracy [0-9.]+%" "$work/mobilenet_resume.log" | tail -1)
"$onnx" run "$work/mobilenet.onnx" --threads 2 > "$work/onnx_run.log"
grep -q "^$accuracy on 10000 images" "$work/onnx_run.log"  # the file computes what the model did
"$onnx" finetune "$work/mobilenet.onnx" --threads 2 --limit 512 --quiet --save "$work/tuned.onnx" > "$work/tune.log"
grep -qE "^epoch 1: train loss [0-9.]+, test accuracy [0-9.]+%" "$work/tune.log" && test -s "$work/tuned.onnx"
[ "$(wc -l < "$work/mobilenet/metrics.csv")" -eq 3 ]  # header + epochs 1 and 2
test -s "$work/mobilenet/training_curve.svg"

"$image_folder" --out "$work/png" --limit 300 > "$work/image_folder.log"
[ "$(find "$work/png/train" -name '*.png' | wc -l)" -eq 300 ] && is_png "$work/png/test/9_Ankle_boot/0.png"
"$image_folder" --out "$work/jpeg" --limit 20 --format jpeg > /dev/null
[ "$(head -c 3 "$work/jpeg/train/5_Sandal/8.jpg" | od -An -tx1 | tr -d ' \n')" = "ffd8ff" ]
"$mobilenet" --threads 2 --epochs 1 --image-folder "$work/png" --augment --workers 2 --quiet > "$work/folder.log"
grep -q "^data: 300 training and 300 test images from $work/png, augmented, 2 threads, 2 loader threads" \
  "$work/folder.log"
grep -q "^epoch 1: " "$work/folder.log"

# The MNIST example starts MPI (a world of one), whose kept buffers LeakSanitizer would report, as in the
# distributed tests: no leak check for it alone.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$mnist" --threads 2 --epochs 1 --limit 1024 --save "$work/mnist" \
  --quiet > "$work/mnist.log"
"$dcgan" train --threads 2 --epochs 1 --limit 1280 --score-samples 1000 --save "$work/dcgan" --quiet \
  --classifier "$work/mnist/checkpoint.safetensors" > "$work/dcgan.log"
grep -q "^score of the 10000 real test images: " "$work/dcgan.log"
grep -qE "^epoch 1: loss D [0-9.]+, loss G [0-9.]+, score [0-9.]+ " "$work/dcgan.log"
is_png "$work/dcgan/samples_epoch_1.png"
[ "$(wc -l < "$work/dcgan/losses.csv")" -eq 2 ]
"$dcgan" score --model "$work/dcgan/checkpoint.safetensors" --classifier "$work/mnist/checkpoint.safetensors" \
  --samples 500 > "$work/score.log"
grep -qE "^score of 500 samples: [0-9.]+$" "$work/score.log"
"$dcgan" generate --model "$work/dcgan/checkpoint.safetensors" --count 3 --out "$work/samples" > "$work/generate.log"
for f in sample_0000.png sample_0001.png sample_0002.png grid.png; do is_png "$work/samples/$f"; done
[ ! -e "$work/samples/sample_0003.png" ]
if "$dcgan" generate --model "$work/missing.safetensors" --out "$work/none" 2> "$work/missing.log"; then exit 1; fi
grep -q "missing.safetensors" "$work/missing.log"
if "$mobilenet" --epochs 1 --limit 128 --save "$work/mobilenet.log" --quiet > /dev/null 2> "$work/file.log"; then exit 1; fi
grep -q "^error: .*mobilenet.log" "$work/file.log"  # --save naming a file: an error, not a crash
if "$dcgan" train --limit 100 --epochs 1 --quiet 2> "$work/small.log"; then exit 1; fi
grep -q "100 training images make no whole batch of 128" "$work/small.log"

# Hostile flags and paths (issue 23): refused at once with a clear error, nothing half-written left behind.
refused() {  # refused PATTERN COMMAND...: the command fails within 60 s and its stderr matches PATTERN
  local pattern=$1; shift
  if timeout 60 "$@" > /dev/null 2> "$work/refused.log"; then echo "accepted: $*" >&2; exit 1; fi
  grep -qE "$pattern" "$work/refused.log" || { echo "unclear error for: $*" >&2; cat "$work/refused.log" >&2; exit 1; }
}
refused "test-batch-size" "$mobilenet" --test-batch-size 0 --epochs 1 --limit 128 --quiet
refused "test-batch-size" "$mnist" --test-batch-size 0 --epochs 1 --limit 128 --quiet
refused "epochs" "$mobilenet" --epochs 2147483647 --limit 128 --quiet
refused "/dev/zero.*not a regular file" "$mobilenet" --resume /dev/zero --epochs 1 --limit 128 --quiet
refused "is a directory" "$dcgan" generate --model "$work" --out "$work/none"
refused "/dev/zero" "$dcgan" train --epochs 1 --limit 256 --classifier /dev/zero --quiet
mkdir -p "$work/dirs/grid.png" "$work/dirs2/losses.csv" "$work/dirs3/log.csv"
refused "log.csv.*directory" "$mobilenet" --epochs 1 --limit 128 --log-csv "$work/dirs3/log.csv" --quiet
# A batch as large as INT64_MAX is one batch of everything (no overflow in the loader or the evaluation loop).
"$mobilenet" --epochs 1 --limit 64 --batch-size 9223372036854775807 --quiet > "$work/huge_batch.log"
grep -q "^epoch 1: " "$work/huge_batch.log"
refused "grid.png.*directory" "$dcgan" generate --model "$work/dcgan/checkpoint.safetensors" --count 2 \
  --out "$work/dirs"
refused "losses.csv.*directory" "$dcgan" train --epochs 1 --limit 256 --save "$work/dirs2" --quiet
[ -z "$(find "$work/dirs" "$work/dirs2" -name '*.tmp*')" ]  # no temporary left behind
[ ! -e "$work/dirs/sample_0000.png" ]                        # refused before anything was written
echo "examples CLI: mobilenet trains, resumes and exports to ONNX (described, run, fine-tuned); dcgan trains, scores and generates; hostile flags are refused"
