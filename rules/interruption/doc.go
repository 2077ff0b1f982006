// Package interruption holds the interruption rules (FD7xxx): node shutdowns, preemptions,
// evictions and pods deleted under a running task.
package interruption
