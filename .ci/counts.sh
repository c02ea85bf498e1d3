# Sourced by .ci/run and .ci/containers.sh: the counts of the last "… N passed, N failed" line in a log.
# counts FILE LINE_REGEX → prints "PASSED FAILED" ("0 0" when no line matches).
counts() {
  local line
  line="$(grep -E "$2" "$1" | tail -1)"
  if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
  else
    echo "0 0"
  fi
}
