//go:build unix

package bundle

import (
	"io/fs"
	"syscall"
)

// hardLinks is the file's link count; a file with more than one may be a link to one outside
// the directory being read.
func hardLinks(st fs.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Nlink)
	}
	return 0
}
