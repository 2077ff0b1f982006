// Package storage holds the storage-permission rules (FD3xxx): a task or flytedoctor could not
// read or write its data in object storage.
package storage
