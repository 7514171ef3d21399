#!/usr/bin/env bash
# The generalisation check (issue 13): every model given (default: every shipped model, models/*.rnnlm) scored on the
# Brown test text and on both out-of-domain texts, one Markdown table row per model. Sentences independent, every
# word and </s> predicted, out-of-vocabulary words scored as <unk> (`rnnlm eval`).
# Usage: bash data/ood/score.sh [MODEL.rnnlm ...]   (from the repository; builds the CLI when it is missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
cli=src/RnnLm.Cli/bin/Release/net10.0/rnnlm.dll
[ -f "$cli" ] || dotnet build src/RnnLm.Cli -c Release -v q
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(models/*.rnnlm)
texts=(data/brown/test.txt data/ood/moby-dick.txt data/ood/sotu-2000-2021.txt)
echo "| model | Brown test | moby-dick.txt | sotu-2000-2021.txt |"
echo "|---|---|---|---|"
for model in "${models[@]}"; do
  row="| \`$(basename "$model" .rnnlm)\`"
  for text in "${texts[@]}"; do
    ppl=$(dotnet "$cli" eval --model "$model" --text "$text" --json 2>/dev/null | grep -o '"perplexity":[0-9.]*' | cut -d: -f2)
    ppl=$(printf '%.2f' "$ppl")
    row="$row | $ppl"
  done
  echo "$row |"
done
