#!/usr/bin/env bash
# resources.sh — registers, spills, stack and shared memory of every CUDA
# attention variant, from ptxas -v, for sm_80 and sm_90. Needs nvcc, no GPU.
# Prints a Markdown table (the "Spacetime attention, CUDA" section of
# bench/RESULTS.md is made with it).
set -euo pipefail
cd "$(dirname "$0")/../../.."
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
echo "| variant | arch | registers | spill stores / loads (bytes) | stack frame (bytes) | dynamic shared memory (bytes) |"
echo "|---|---|---|---|---|---|"
for dim in 32 64 96 128; do for dtype in bf16 f16; do
  src=native/src/cuda/attention/attention_${dtype}_d${dim}.cu
  name=$(basename "$src" .cu)
  # shared memory per block: (BM + 2 * stages * BN) * (D + 8) * 2, BM = 64, BN = 64, 2 stages
  smem=$(( (64 + 2 * 2 * 64) * (dim + 8) * 2 ))
  for arch in 80 90; do
    log=$("$nvcc" -std=c++17 -O3 -Inative/include -DREEL_HAVE_CUDA=1 -gencode "arch=compute_$arch,code=sm_$arch" \
          -Xptxas -v -c "$src" -o /dev/null 2>&1)
    regs=$(grep -o 'Used [0-9]* registers' <<<"$log" | grep -o '[0-9]*')
    stack=$(grep -o '[0-9]* bytes stack frame' <<<"$log" | grep -o '^[0-9]*')
    st=$(grep -o '[0-9]* bytes spill stores' <<<"$log" | grep -o '^[0-9]*')
    ld=$(grep -o '[0-9]* bytes spill loads' <<<"$log" | grep -o '^[0-9]*')
    echo "| ${name#attention_} | sm_$arch | $regs | $st / $ld | $stack | $smem |"
  done
done; done
