//go:build !unix

package bundle

import "io/fs"

// hardLinks is unknown here: os.Root still keeps reads inside the directory.
func hardLinks(fs.FileInfo) uint64 { return 0 }
