#!/usr/bin/env bash
# The example programs' command lines, fuzzed: random flags from each program's own set, with values drawn from the
# hostile ones (0, -1, INT64_MAX, 1e309, nan, words, a directory, /dev/zero, a missing file, truncated and flipped
# copies of real checkpoints), each run under the fuzz build's AddressSanitizer + UndefinedBehaviorSanitizer with a
# time limit (120 s). A run must exit 0, or non-zero with an error message; a sanitizer report, a signal, a silent failure
# or a run past the time limit is a defect, reported with the command that reproduces it.
# Usage: fuzz_cli.sh EXAMPLES_DIR TEXT_FIXTURES WORKDIR SECONDS [SEED]; prints "executions N" and "crashes N".
set -uo pipefail
examples=$(realpath "$1") fixtures=$(realpath "$2") work=$(realpath -m "$3") seconds=$4 seed=${5:-$$}
RANDOM=$seed
rm -rf "$work" && mkdir -p "$work/dir" && cd "$work"  # relative paths the flags name (--save 2) land in here
export ASAN_OPTIONS=detect_leaks=0:exitcode=86:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1

# Real checkpoints to damage: an MNIST classifier and a text classifier, trained for a moment.
"$examples/mnist" --epochs 1 --limit 64 --save "$work/mnist" --quiet > /dev/null 2>&1
"$examples/text_classifier" train --train "$fixtures/train.tsv" --test "$fixtures/test.tsv" --epochs 1 --seq 16 \
  --save "$work/text" --quiet > /dev/null 2>&1
damage() {  # damage SOURCE DEST: a truncated or byte-flipped copy
  local size offset
  size=$(stat -c %s "$1" 2>/dev/null || echo 0)
  [ "$size" -gt 0 ] || { : > "$2"; return; }
  offset=$((RANDOM * 32768 % size + RANDOM % size))
  offset=$((offset % size))
  if ((RANDOM % 2)); then head -c "$offset" "$1" > "$2"; else
    cp "$1" "$2"
    printf "\\x$(printf %02x $((RANDOM % 256)))" | dd of="$2" bs=1 seek="$offset" conv=notrunc status=none
  fi
}

values=(0 -1 1 2 3 16 9223372036854775807 -9223372036854775808 1e309 nan inf -0.5 0.5 abc "" "$work/dir" /dev/zero
        "$work/missing.safetensors" "$work/damaged.safetensors" "$fixtures/train.tsv")
benign=(1 2 16 64)  # half the values are ordinary, so that runs get past the parser into the programs
pick() {
  if ((RANDOM % 2)); then
    printf '%s' "${benign[RANDOM % ${#benign[@]}]}"
  else
    printf '%s' "${values[RANDOM % ${#values[@]}]}"
  fi
}

# Each program's flags; the run starts from a small working command and replaces or adds a few flags. Flags that
# scale valid work (--limit, MNIST's and MobileNet's --epochs and --test-batch-size: a full data set, or ten thousand
# evaluations of one image, under the sanitizers) stay as the base sets them; tests/examples_cli.sh covers their edges.
command_line() {
  case $((RANDOM % 8)) in
    0) base=("$examples/mnist" --epochs 1 --limit 64 --quiet)
       flags=(--batch-size --lr --seed --threads --save --resume --log-csv) ;;
    1) base=("$examples/mobilenet" --epochs 1 --limit 64 --quiet)
       flags=(--batch-size --lr --seed --threads --save --resume --log-csv) ;;
    2) base=("$examples/dcgan" train --epochs 1 --limit 128 --batch-size 64 --score-samples 16 --quiet)
       flags=(--epochs --batch-size --lr --seed --threads --save --resume --classifier --score-samples) ;;
    3) base=("$examples/dcgan" generate --model "$work/damaged.safetensors" --out "$work/out" --count 2)
       flags=(--model --count --out --seed) ;;
    4) base=("$examples/dcgan" score --model "$work/damaged.safetensors" --samples 16
             --classifier "$work/mnist/checkpoint.safetensors")
       flags=(--model --classifier --samples --data) ;;
    5) base=("$examples/text_classifier" train --train "$fixtures/train.tsv" --test "$fixtures/test.tsv" --epochs 1
             --seq 16 --quiet)
       flags=(--train --test --save --seq --vocab --embedding --filters --kernels --epochs --batch-size --lr --dropout) ;;
    6) base=("$examples/text_classifier" eval --model "$work/damaged.safetensors" --test "$fixtures/test.tsv")
       flags=(--model --test --data) ;;
    *) base=("$examples/text_classifier" predict --model "$work/damaged.safetensors" "free cash")
       flags=(--model --mail --lines) ;;
  esac
  cmd=("${base[@]}")
  for ((k = RANDOM % 3 + 1; k > 0; --k)); do cmd+=("${flags[RANDOM % ${#flags[@]}]}" "$(pick)"); done
}

runs=0 crashes=0 end=$((SECONDS + seconds))
declare -A exits  # how the runs ended, by exit status
while ((SECONDS < end)); do
  source=$work/mnist/checkpoint.safetensors
  ((RANDOM % 2)) && source=$work/text/checkpoint.safetensors
  damage "$source" "$work/damaged.safetensors"
  command_line
  timeout 120 "${cmd[@]}" > "$work/out.log" 2> "$work/err.log" < /dev/null
  status=$?
  runs=$((runs + 1))
  exits[$status]=$((${exits[$status]:-0} + 1))
  verdict=""
  if [ "$status" -eq 124 ]; then verdict="ran past 120 s"
  elif [ "$status" -eq 86 ] || [ "$status" -eq 87 ] || grep -qE "Sanitizer|runtime error:" "$work/err.log"; then
    verdict="sanitizer report"
  elif [ "$status" -gt 128 ]; then verdict="killed by signal $((status - 128))"
  elif [ "$status" -ne 0 ] && ! [ -s "$work/err.log" ]; then verdict="failed (status $status) without a message"
  fi
  if [ -n "$verdict" ]; then
    crashes=$((crashes + 1))
    mkdir -p "$work/crashes"
    cp "$work/damaged.safetensors" "$work/crashes/damaged-$crashes.safetensors"
    { printf 'fuzz_cli: %s:' "$verdict"; printf ' %q' "${cmd[@]}"; echo; tail -20 "$work/err.log"; } >&2
  fi
done
echo "exit statuses: $(for k in "${!exits[@]}"; do printf '%s:%s ' "$k" "${exits[$k]}"; done)"
echo "executions $runs"
echo "crashes $crashes"
[ "$crashes" -eq 0 ]
