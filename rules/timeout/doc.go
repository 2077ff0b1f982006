// Package timeout holds the timeout rules (FD6xxx): Flyte's execution timeout, the pod's active
// deadline and flytekit's own timeouts.
package timeout
