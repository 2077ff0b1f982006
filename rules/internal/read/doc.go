// Package read holds the readers of evidence that several rule families share: a site's texts and
// pull messages, terminations and tracebacks, array subtasks, quantities, and the wording helpers
// (Where, Clip, Decisive). Families import it; it imports no family.
package read
