#!/usr/bin/env bash
# Side by side with faster-rnnlm (https://github.com/yandex/faster-rnnlm, commit c35e481) on Brown, as
# docs/results.md ("Gated cells and direct connections against the bound and the peer") measures it.
#
# 1. Builds faster-rnnlm from a checkout given as FASTER_RNNLM (its Makefile, against Debian's Eigen 3.4:
#    apt-get install -y libeigen3-dev; with Debian's g++ its Makefile picks -O3).
# 2. Writes <unk>-mapped copies of data/brown/{train,valid}.txt to $OUT (a word seen fewer than 4 times in
#    train.txt becomes <unk>, as `rnnlm train` and `bench` build their vocabulary): faster-rnnlm takes every
#    distinct training word into its vocabulary and skips training sentences with unknown words.
# 3. Runs, each under /usr/bin/time -v, faster-rnnlm's GRU h200 with -direct 1000 -direct-order 4 (2 threads,
#    seed 1; `-stop 100 -retry 1` ends it after 2 epochs: both count as "bad", the second stops it) and our
#    `bench` with $OURS_ARGS, then prints each one's training words/s: faster-rnnlm's per epoch
#    (predicted words, </s> included, over the epoch's training seconds it prints), ours from `bench --json`.
#
#   FASTER_RNNLM=/path/to/faster-rnnlm deploy/bench/faster-rnnlm.sh
#   OURS_ARGS="--cell lstm --hidden 200 --direct 10000000 --direct-order 4 --threads 2" FASTER_RNNLM=... deploy/bench/faster-rnnlm.sh
# RNNLM is the `rnnlm` command to run (default: the Release build of src/RnnLm.Cli, built if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${FASTER_RNNLM:?set FASTER_RNNLM to a checkout of faster-rnnlm}"
OUT=${OUT:-/tmp/faster-rnnlm-brown}
PEER_ARGS=${PEER_ARGS:--hidden 200 -hidden-type gru -direct 1000 -direct-order 4 -threads 2 -seed 1 -stop 100 -retry 1}
OURS_ARGS=${OURS_ARGS:---cell gru --hidden 200 --direct 10000000 --direct-order 4 --threads 2}
RNNLM=${RNNLM:-dotnet src/RnnLm.Cli/bin/Release/net10.0/rnnlm.dll}

[ -d /usr/include/eigen3 ] || { echo "needs Eigen: apt-get install -y libeigen3-dev" >&2; exit 1; }
mkdir -p "$OUT"
make -C "$FASTER_RNNLM/faster-rnnlm" -j2 rnnlm >"$OUT/make.log" 2>&1 || { tail -20 "$OUT/make.log"; exit 1; }
if [ "$RNNLM" = "dotnet src/RnnLm.Cli/bin/Release/net10.0/rnnlm.dll" ] && [ ! -f src/RnnLm.Cli/bin/Release/net10.0/rnnlm.dll ]; then
  dotnet build src/RnnLm.Cli -c Release >/dev/null
fi

for split in train valid; do
  awk 'NR == FNR { for (i = 1; i <= NF; i++) count[$i]++; next }
       { for (i = 1; i <= NF; i++) if (count[$i] < 4) $i = "<unk>"; print }' data/brown/train.txt "data/brown/$split.txt" >"$OUT/$split.txt"
done
# Predicted words an epoch: every word and one </s> a sentence.
words=$(awk '{ n += NF + 1 } END { print n }' "$OUT/train.txt")

rm -f "$OUT/peer.model" "$OUT/peer.model.nnet"
# shellcheck disable=SC2086 # the argument lists are plain words
(cd "$OUT" && /usr/bin/time -v "$FASTER_RNNLM/faster-rnnlm/rnnlm" -rnnlm peer.model -train train.txt -valid valid.txt $PEER_ARGS) >"$OUT/peer.log" 2>&1
rm -f "$OUT/peer.model" "$OUT/peer.model.nnet"
# shellcheck disable=SC2086
/usr/bin/time -v $RNNLM bench $OURS_ARGS --json >"$OUT/ours.json" 2>"$OUT/ours.log"

echo "faster-rnnlm $PEER_ARGS"
tr '\r' '\n' <"$OUT/peer.log" | sed -n 's/^Epoch *\([0-9]*\) .*valid: *\([0-9.]*\) *elapsed: \([0-9.]*\)s.*/\1 \2 \3/p' |
  awk -v w="$words" '{ printf "  epoch %d: %.0f words/s, valid entropy %s bits (perplexity %.1f)\n", $1, w / $3, $2, 2 ^ $2 }'
grep -E 'Elapsed|Maximum resident' "$OUT/peer.log" | sed 's/^\s*/  /'
echo "rnnlm bench $OURS_ARGS"
grep -o '"wordsPerSecond":[0-9]*\|"validPerplexity":[0-9.]*' "$OUT/ours.json" | sed 's/^/  /'
grep -E 'Elapsed|Maximum resident' "$OUT/ours.log" | sed 's/^\s*/  /'
