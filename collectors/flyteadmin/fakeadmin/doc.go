// Package fakeadmin is a fake Flyte Admin gRPC server for tests, `flytedoctor demo` and benchmarks.
//
// It serves a Fixture (executions, their node executions with parent links, task attempts and
// data responses; loadable from protojson so real Admin HTTP-gateway JSON can be pasted in) and
// copies the behaviour of flyteadmin v1.16.8 rather than what our collector expects:
//
//   - validation and error texts of the real managers: "invalid value for limit" when limit is 0,
//     "invalid pagination token %s for ListNodeExecutions", "invalid sort key '%s'",
//     "'ne.foo' is invalid filter" (entity codes e, ne, te, t, ...), and NotFound as
//     "missing entity of type node execution with identifier <prototext id>";
//   - filters use the real grammar, func(field,value) joined by '+', ';' between repeated values,
//     on real DB column names, with SQL NULL semantics (a node without error never matches
//     ne(error_kind,USER));
//   - pagination tokens are decimal offsets; a token is returned only when the page is full;
//   - list responses trim error messages to 100 bytes (ListExecutions, ListNodeExecutions),
//     Get responses and ListTaskExecutions do not;
//   - ListNodeExecutions without unique_parent_id returns top-level nodes only, and with one it
//     first looks the parent up (NotFound if missing);
//   - sort direction defaults to DESCENDING, as the proto enum does; ties are broken by id.
//
// Unsorted paging is deliberately unstable, as it is on a real Postgres-backed admin (a client
// read 1000 children in ten pages and got 999 distinct nodes). Each request sees rows in primary
// key order, except that a request without sort_by whose offset equals its limit (the second page
// of a uniform scan) sees the two rows straddling its offset swapped. Reading every page of a
// multi-page listing without sort_by therefore returns one row twice and never returns another.
// Clients must page with an explicit unique sort key such as id.
//
// The Server counts calls per method, tracks the peak number of concurrent calls, and can inject
// latency and faults (Options.Latency, Options.Fault, FailNext). AuthMetadataService is not
// registered, like an admin with auth disabled, so calls to it get Unimplemented.
package fakeadmin
