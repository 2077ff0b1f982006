// Package memory holds the out-of-memory rules (FD5001-FD5003): OOM kills, memory-pressure
// evictions and GPU out-of-memory errors.
package memory
