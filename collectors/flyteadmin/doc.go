// Package flyteadmin collects a Flyte execution from Flyte Admin over gRPC: the execution
// closure, the node tree (through subworkflows, dynamic and array nodes and child launch plans)
// and every task attempt of what did not succeed, into an evidence.Execution.
//
// Calls grow with list pages and with unsuccessful nodes, never with succeeded ones: succeeded
// subtrees are not expanded. Lists are paged with an explicit unique sort key and de-duplicated,
// because flyteadmin's unsorted paging can repeat one row and skip another.
package flyteadmin
