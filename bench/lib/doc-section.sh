# Sourced by the bench scripts: each owns one generated section of a Markdown file, between
# "<!-- NAME:begin ... -->" and "<!-- NAME:end -->", and rewrites only that section.

# replace_doc_section NAME SECTION_FILE [DOC]: put SECTION_FILE (markers included) in place of DOC's NAME
# section, or append it when DOC has none yet. DOC defaults to docs/benchmarks.md.
replace_doc_section() {
  local name=$1 section=$2 doc=${3:-docs/benchmarks.md}
  [[ -f "$doc" ]] || printf '# Benchmarks\n' > "$doc"
  if grep -q "<!-- $name:begin" "$doc"; then
    awk -v section="$section" -v begin="<!-- $name:begin" -v end="<!-- $name:end -->" '
      index($0, begin) { while ((getline line < section) > 0) print line; skip = 1; next }
      index($0, end) { skip = 0; next }
      !skip { print }' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
  else
    { echo; cat "$section"; } >> "$doc"
  fi
}
