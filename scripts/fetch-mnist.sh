#!/usr/bin/env bash
# Fetch the genuine MNIST IDX files into DIR (for CI runners without ../shared) and check
# them against the official md5 sums. Does nothing if they are already there and intact.
set -euo pipefail
dir="${1:?usage: fetch-mnist.sh DIR}"
mkdir -p "$dir"
cd "$dir"
cat > MD5SUMS <<'SUMS'
f68b3c2dcbeaaa9fbdd348bbdeb94873  train-images-idx3-ubyte.gz
d53e105ee54ea40749a09fcbcd1e9432  train-labels-idx1-ubyte.gz
9fb629c4189551a2d022fa330f9573f3  t10k-images-idx3-ubyte.gz
ec29112dd5afa0611ce80d1b7f02629c  t10k-labels-idx1-ubyte.gz
SUMS
if md5sum --quiet -c MD5SUMS 2>/dev/null; then exit 0; fi
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  curl -fsSL --retry 3 -o "$f.gz" "https://ossci-datasets.s3.amazonaws.com/mnist/$f.gz"
done
md5sum -c MD5SUMS
