#!/usr/bin/env bash
# The text classifier's command line end to end: train three epochs on the small three-class TSV (and export it
# to ONNX), evaluate the checkpoint, predict from arguments and from a raw mail on stdin, and refuse a
# malformed TSV with its file and line. Usage: text_classifier_cli.sh BINARY FIXTURES WORKDIR
set -euo pipefail
bin=$1 fixtures=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$bin" --threads 2 train --train "$fixtures/train.tsv" --test "$fixtures/test.tsv" --save "$work" --epochs 3 \
  --seq 64 --kernels 3,5 --lr 0.01 --quiet --export-onnx "$work/text.onnx" > "$work/train.log"
grep -q "^epoch 3: " "$work/train.log"
grep -q "^exported $work/text.onnx" "$work/train.log" && test -s "$work/text.onnx"
for f in checkpoint.safetensors metrics.csv training_curve.svg; do test -s "$work/$f"; done
"$bin" eval --model "$work/checkpoint.safetensors" --test "$fixtures/test.tsv" > "$work/eval.log"
grep -q "test accuracy" "$work/eval.log" && grep -q "macro F1" "$work/eval.log"
"$bin" predict --model "$work/checkpoint.safetensors" "free cash prize winner" "minister election report" > "$work/predict.log"
[ "$(wc -l < "$work/predict.log")" -eq 2 ]
grep -qE "^(spam|ham|news)	[01]\.[0-9]{4}	" "$work/predict.log"
"$bin" predict --model "$work/checkpoint.safetensors" --mail < "$fixtures/html.eml" | grep -qE "^(spam|ham|news)	"
printf 'spam\tok\nno tab here\n' > "$work/bad.tsv"
if "$bin" train --train "$work/bad.tsv" --test "$fixtures/test.tsv" --epochs 1 --quiet 2> "$work/bad.log"; then exit 1; fi
grep -q "bad.tsv:2: expected 'label<TAB>text'" "$work/bad.log"
echo "text_classifier CLI: train, eval, predict and the TSV error all work"
