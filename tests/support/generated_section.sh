# generated_section.sh (sourced): a doc section the binary generates, kept in step.
#   generated_section DOC BEGIN END WANT FIX NAME
# DOC holds the lines BEGIN and END; the lines between them must equal the file WANT (the binary's
# output).  FIX=1 rewrites them from WANT and exits 0; otherwise a difference is printed with
# diff -u and the test fails naming NAME.  Returns 0 when they agree (the caller goes on).
generated_section() {
    local doc=$1 begin=$2 end=$3 want=$4 fix=$5 name=$6
    grep -qxF "$begin" "$doc" && grep -qxF "$end" "$doc" ||
        { echo "FAIL: $doc lacks the markers of its $name"; exit 1; }
    if [ "$fix" = 1 ]; then
        awk -v b="$begin" -v e="$end" -v f="$want" '
            $0==b {print; while ((getline l < f) > 0) print l; skip=1; next}
            $0==e {skip=0}
            !skip {print}' "$doc" > "$want.doc" && cp "$want.doc" "$doc"
        echo "rewrote the $name of $doc"
        exit 0
    fi
    awk -v b="$begin" -v e="$end" '$0==e{inside=0} inside{print} $0==b{inside=1}' "$doc" > "$want.have"
    diff -u "$want.have" "$want" || { echo "FAIL: the $name of $doc differs from the binary's (run $0 --fix BIN)"; exit 1; }
}
