package report

import (
	"io"

	"github.com/flytedoctor/flytedoctor/internal/jsonout"
)

// WriteJSON writes the report (the snapshot's fields plus findings) as indented JSON.
func WriteJSON(w io.Writer, r *Report) error { return jsonout.Write(w, r) }
