// Package report renders what flytedoctor found: a text view for people (header, then the
// failing path as a tree) and JSON for machines. Renderers only read the snapshot.
package report
