#!/usr/bin/env bash
# One prepared call on a lent GPU for the trainer (issue #9): a task gets 15 minutes of device time in all, so the
# stages run in the order given, each capped by what is left of BUDGET_S, and every log lands in $OUT at once.
#
#   OUT=/tmp/out BUDGET_S=540 bash bench/gpu_session.sh goal docmask flash tests attn cache  # the default
#   OUT=/tmp/out BUDGET_S=540 bash bench/gpu_session.sh full                        # the whole train_bench table
#
# Stages
#   goal    train_bench at 4K: ours hybrid and HF (micro-batch 1), then hybrid with micro-batch 2 and --profile;
#           one document per row, so ours run SDPA's causal kernel (cuDNN first on Hopper), as the trainer does
#   docmask the 4K hybrid row with --doc-mask (FlexAttention's document mask: how sessions 1–4 measured), to compare
#   flash   the 4K hybrid row with --no-cudnn (SDPA's Flash for the causal layers), to weigh cuDNN's part
#   b4      the 4K hybrid row with micro-batch 4 (larger matmuls, a quarter of the accumulation passes; ~90 GiB
#           estimated from the 38 GiB of micro-batch 1: H200 only)
#   cache   train_bench at 4K: hybrid with --bf16-cache (bf16 weight copies once per optimizer step)
#   tests   tests/train_entry/test_gpu.py (flex and varlen = SDPA, eager and compiled + checkpointed; bf16 step)
#   attn    attn_bench at 4K: FlexAttention kernel_options candidates, Flash varlen, SDPA Flash and cuDNN
#   varlen  train_bench at 4K with --attn varlen
#   full    train_bench's whole GPU table (writes bench/RESULTS.md there; copy $OUT/RESULTS.md back)
# The GPU image has torch + transformers but no duckdb/polars: pytest runs with --noconftest.
set -u
OUT=${OUT:-/tmp/gpu_session}
PY=${PY:-python3} # the image's python3 holds torch; here: PY=.venv/bin/python
BUDGET_S=${BUDGET_S:-540}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
start=$SECONDS
left() { echo $((BUDGET_S - (SECONDS - start))); }

run() {  # run NAME CAP_S CMD...: at most min(CAP_S, time left) seconds, output to $OUT/NAME.log
  local name=$1 cap=$2
  shift 2
  local t
  t=$(left)
  ((t > cap)) && t=$cap
  if ((t < 30)); then
    echo "== $name: skipped ($(left) s left)" | tee -a "$OUT/summary.txt"
    return
  fi
  echo "== $name ($t s cap): $*" | tee -a "$OUT/summary.txt"
  timeout "$t" "$@" >"$OUT/$name.log" 2>&1
  echo "   rc $? after $((SECONDS - start)) s" | tee -a "$OUT/summary.txt"
}

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  $PY -c "import torch, transformers; print('torch', torch.__version__, '· transformers', transformers.__version__)"
  # This card's two ceilings (METHOD.md): a bf16 8192³ matmul and a 4 GiB device copy, medians of 10 after warm-up.
  $PY - <<'PYEOF'
import torch
if torch.cuda.is_available():
    def med(f, n=10):
        for _ in range(3):
            f()
        ts = []
        for _ in range(n):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record(); f(); b.record(); torch.cuda.synchronize(); ts.append(a.elapsed_time(b) / 1e3)
        return sorted(ts)[n // 2]
    x, y = (torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    src = torch.randn(2**30, device="cuda"); dst = torch.empty_like(src)
    print(f"ceilings: bf16 matmul {2 * 8192**3 / med(lambda: x @ y) / 1e12:.0f} TFLOP/s, "
          f"copy {2 * src.numel() * 4 / med(lambda: dst.copy_(src)) / 1e12:.2f} TB/s (read + write)")
PYEOF
} >"$OUT/summary.txt" 2>&1

rows="$OUT/rows.jsonl"
for stage in "${@:-goal docmask flash tests attn cache}"; do
  for s in $stage; do
    case $s in
      goal)
        run goal_b1 240 $PY bench/train_bench.py --seqs 4096 --variants hybrid,hf --no-write --jsonl "$rows"
        run goal_b2 180 $PY bench/train_bench.py --seqs 4096 --variants hybrid --batch 2 --profile --no-write \
          --jsonl "$rows"
        ;;
      docmask) run docmask 180 $PY bench/train_bench.py --seqs 4096 --variants hybrid --doc-mask --no-write \
        --jsonl "$rows" ;;
      flash) run flash 180 $PY bench/train_bench.py --seqs 4096 --variants hybrid --no-cudnn --no-write \
        --jsonl "$rows" ;;
      b4) run b4 180 $PY bench/train_bench.py --seqs 4096 --variants hybrid --batch 4 --no-write --jsonl "$rows" ;;
      cache) run cache 180 $PY bench/train_bench.py --seqs 4096 --variants hybrid --bf16-cache --no-write \
        --jsonl "$rows" ;;
      tests) run tests 240 $PY -m pytest -p no:cacheprovider --noconftest -q -rs tests/train_entry/test_gpu.py ;;
      attn) run attn 240 $PY bench/attn_bench.py --seqs 4096 --no-write ;;
      varlen) run varlen 180 $PY bench/train_bench.py --seqs 4096 --variants hybrid --attn varlen --no-write \
        --jsonl "$rows" ;;
      full)
        run full 590 $PY bench/train_bench.py --budget-s $(($(left) - 120)) --jsonl "$rows"
        cp bench/RESULTS.md "$OUT/RESULTS.md"
        ;;
      *) echo "unknown stage $s (goal docmask flash b4 cache tests attn varlen full)" | tee -a "$OUT/summary.txt" ;;
    esac
  done
done

# The reply carries only the output's last 12,000 characters: the short tables last.
for f in "$OUT"/goal_b1.log "$OUT"/goal_b2.log "$OUT"/docmask.log "$OUT"/flash.log "$OUT"/b4.log "$OUT"/cache.log "$OUT"/varlen.log "$OUT"/full.log; do
  [[ -f $f ]] && { echo "--- $(basename "$f")"; grep -E '^(profile|\| (model|ours|HF))' "$f"; }
done
[[ -f $OUT/tests.log ]] && { echo "--- tests"; tail -5 "$OUT/tests.log"; }
[[ -f $OUT/attn.log ]] && { echo "--- attn"; sed -n '/^| seq/,$p' "$OUT/attn.log"; }
cat "$OUT/summary.txt"
