// Package report renders what flytedoctor found, a diagnosis or a preflight run, through one
// registry of renderers (text, json, yaml, markdown, junit, html) over one Report model: the
// evidence snapshot, the engine's result and the metadata of the rules it names. Renderers
// only read; the text view keeps terminal controls from the execution's texts off the terminal.
package report
