package report

import (
	"encoding/json"
	"io"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// WriteJSON writes the snapshot as indented JSON.
func WriteJSON(w io.Writer, snap *evidence.Snapshot) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(snap)
}
