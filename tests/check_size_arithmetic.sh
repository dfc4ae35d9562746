#!/usr/bin/env bash
# Size arithmetic in the code that takes user input, checked: tests/check_size_arithmetic.sh SOURCE_DIR
# A user's sizes, steps and epochs may be anything up to INT64_MAX, so their products, sums and casts go through the
# checked helpers of core/shape.hpp (checked_mul, checked_add, checked_cast_to_int64), which raise a nabla::Error
# instead of overflowing (undefined behaviour). This flags the raw forms that once overflowed, in code (comments and
# string literals are not code); a line whose bound is proven elsewhere says so in a "size-checked: <why>" comment on
# it or on the line above. Exits 1 naming each file, line and rule.
set -euo pipefail
cd "$1"
files=$(find core ops nn examples -name '*.cpp' | sort)
# shellcheck disable=SC2086
awk '
  BEGIN {
    rule[1] = "static_cast<int64_t>\\((std::)?(floor|ceil|round|trunc)\\(";
    why[1] = "a double cast to int64 is undefined out of range: use checked_cast_to_int64";
    rule[2] = "\\+\\+last_epoch_|last_epoch_ \\+ 1|\\.epoch \\+ 1";
    why[2] = "a step or epoch counter can be at INT64_MAX: use checked_add";
    rule[3] = "batch_size \\*|\\* batch_size|epochs \\* |\\* steps_per_epoch|[^a-z_]r \\* r[^a-z_]";
    why[3] = "a product of user-given sizes: use checked_mul";
    rule[4] = "\\+= batch_size";
    why[4] = "a loop stepping by a user batch size overflows near INT64_MAX: step by the batch taken";
    failed = 0;
  }
  FNR == 1 { previous = "" }
  {
    code = $0;
    gsub(/"([^"\\]|\\.)*"/, "\"\"", code);  # string literals
    sub(/\/\/.*/, "", code);                 # comments
    if ($0 !~ /size-checked:/ && previous !~ /size-checked:/)
      for (i = 1; i <= 4; ++i)
        if (code ~ rule[i]) { printf "%s:%d: %s\n    %s\n", FILENAME, FNR, $0, why[i]; failed = 1 }
    previous = $0;
  }
  END { exit failed }
' $files || { echo "raw arithmetic on user-given sizes (tests/check_size_arithmetic.sh)" >&2; exit 1; }
echo "size arithmetic: every flagged form goes through the checked helpers"
