#!/usr/bin/env bash
# Exact resume: the MNIST example trained 2 epochs in one run, and 1 epoch + --resume + 1 epoch, must end with the
# same checkpoint, byte for byte (weights, Adam's state, every rank's generator), alone and under mpirun -np 2.
# Usage: exact_resume.sh MPIEXEC MNIST WORKDIR
set -euo pipefail
mpiexec=$1 mnist=$2 work=$3
rm -rf "$work" && mkdir -p "$work/data"
# A small data set (384 training, 500 test images of Fashion-MNIST): the first N items of each IDX file.
slice() {  # slice NAME HEADER_BYTES ITEM_BYTES N
  local source=/usr/share/datasets/fashion-mnist/$1.gz count
  count=$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($4 >> 24 & 255)) $(($4 >> 16 & 255)) $(($4 >> 8 & 255)) $(($4 & 255)))
  set +o pipefail  # head closes the pipe early
  { zcat "$source" | head -c 4; printf "$count"; zcat "$source" | head -c $(($2 + $3 * $4)) | tail -c +9; } > "$work/data/$1"
  set -o pipefail
}
slice train-images-idx3-ubyte 16 784 384
slice train-labels-idx1-ubyte 8 1 384
slice t10k-images-idx3-ubyte 16 784 500
slice t10k-labels-idx1-ubyte 8 1 500
train() {  # train NP DIR EPOCHS [ARGS...]
  local np=$1 dir=$2 epochs=$3
  shift 3
  local launch=()
  [ "$np" -gt 1 ] && launch=("$mpiexec" -np "$np" --oversubscribe --allow-run-as-root --bind-to none)
  timeout 600 "${launch[@]}" "$mnist" --data "$work/data" --epochs "$epochs" --batch-size 32 \
    --save "$work/$dir" --quiet "$@" > "$work/$dir.log" 2>&1 || { cat "$work/$dir.log" >&2; exit 1; }
}
for np in 1 2; do
  train $np "straight$np" 2
  train $np "resumed$np" 1
  train $np "resumed$np" 2 --resume "$work/resumed$np/checkpoint.safetensors"
  grep -q "note:" "$work/resumed$np.log" && { echo "np $np: the resume did not restore the generators" >&2; exit 1; }
  cmp "$work/straight$np/checkpoint.safetensors" "$work/resumed$np/checkpoint.safetensors" ||
    { echo "np $np: 2 epochs straight and 1 + resume + 1 differ" >&2; exit 1; }
  echo "np $np: 2 epochs straight = 1 epoch + resume + 1 epoch, byte for byte"
done
