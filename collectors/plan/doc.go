// Package plan is the collection plan: which collectors run, in which order, and what each
// needs from the others, and the rules' configuration from the user's. A live diagnosis, a
// support bundle and preflight all build their snapshot through Collect, so they cannot
// disagree about what was read or why something was not.
package plan
