// Package cli wires flytedoctor's cobra commands: flags become options, options are validated,
// then run against injected dependencies. Exit codes are decided here and only here.
package cli
