package report

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report (the snapshot's fields plus findings) as indented JSON.
func WriteJSON(w io.Writer, snap *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(snap)
}
