#!/bin/bash
# No folder includes a header of a folder that includes it back, directly or
# through others: the folders of the engine form layers (README "Folders").
# Every `#include "DIR/file.h"` of a source in another folder is an edge;
# tsort refuses a graph with a loop and names the folders in it.
# Usage: test_folder_layers.sh [SOURCE_DIR]   (default $CORRAL_SOURCE_DIR or .)
set -u
cd "${1:-${CORRAL_SOURCE_DIR:-.}}" || exit 1

edges() {
	local dir file target
	for dir in */; do
		dir=${dir%/}
		case $dir in tests | fuzz | bench | docs | scripts | build*) continue ;; esac
		grep -rHoE --include='*.c' --include='*.h' \
			'^[[:space:]]*#[[:space:]]*include[[:space:]]+"[^"]+/[^"]+"' "$dir" |
			while IFS= read -r line; do
				file=${line%%:*}
				target=${line#*\"}
				target=${target%\"}
				[ -f "$target" ] || continue # a header of the same folder, or generated
				[ "${target%%/*}" != "$dir" ] && echo "${target%%/*} $dir ${file} -> ${target}"
			done
	done
}

graph=$(edges | sort -u -k1,2)
loop=$(echo "$graph" | cut -d' ' -f1,2 | tsort 2>&1 >/dev/null)
if [ -n "$loop" ]; then
	echo "FAIL: folders include each other:"
	echo "$loop"
	echo "one include per edge (included folder, including folder, example):"
	echo "$graph"
	exit 1
fi
echo "ok: $(echo "$graph" | wc -l) edges between folders, no loop"
echo "layers, lowest first: $(echo "$graph" | cut -d' ' -f1,2 | tsort | tr '\n' ' ')"
