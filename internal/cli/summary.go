package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/flowlens/flowlens/model"
	"github.com/flowlens/flowlens/model/output"
)

// writeSummary tells what was read: the line scripts and people check first when a count
// looks wrong. print and pairs end with it.
func writeSummary(w io.Writer, st *model.Stats, matched int64, inputs int, filtered bool) {
	defer writeOverflowNote(w, model.SymOverflows()) // after the summary, whichever way it ends
	files := "1 source"
	if inputs != 1 {
		files = output.Thousands(int64(inputs)) + " sources"
	}
	rest := ""
	if st.Skipped > 0 {
		// The prefilter passed over lines without the filter's text: they are neither
		// records nor malformed lines here, and the count says so.
		fmt.Fprintf(w, "flowlens: %s lines read from %s, %s skipped unparsed (they lack the filter's text), %s records in the rest",
			output.Thousands(st.Lines), files, output.Thousands(st.Skipped), output.Thousands(st.Records))
		rest = " in the rest"
	} else {
		fmt.Fprintf(w, "flowlens: %s records read from %s", output.Thousands(st.Records), files)
	}
	if filtered {
		fmt.Fprintf(w, ", %s matched", output.Thousands(matched))
	}
	if st.Malformed == 0 {
		fmt.Fprintf(w, ", no malformed lines%s\n", rest)
		return
	}
	var reasons []string
	for r, n := range st.ByReason {
		if n > 0 {
			reasons = append(reasons, fmt.Sprintf("%s: %s", model.Reason(r), output.Thousands(n)))
		}
	}
	fmt.Fprintf(w, ", %s malformed lines%s (%s)\n", output.Thousands(st.Malformed), rest, strings.Join(reasons, ", "))
	for _, m := range st.Samples {
		fmt.Fprintf(w, "  %s\n    %s\n", output.Sanitize(m.String()), m.Text)
	}
	if st.Malformed > int64(len(st.Samples)) {
		fmt.Fprintf(w, "  ... and %s more\n", output.Thousands(st.Malformed-int64(len(st.Samples))))
	}
}

// writeOverflowNote says that n values were read after the symbol table was full, so
// that a record showing model.OverflowText is explained (see model.MaxSyms).
func writeOverflowNote(w io.Writer, n int64) {
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "flowlens: note: more than %s distinct IDs were read; %s values after that show as %q\n",
		output.Thousands(model.MaxSyms-1), output.Thousands(n), model.OverflowText)
}
