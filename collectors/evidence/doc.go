// Package evidence is the snapshot model every collector fills and every rule reads.
//
// A Snapshot is plain data: JSON-serializable (schema "flytedoctor.evidence/v1"), built once by
// the collectors and never modified afterwards, so the same rules run live and offline on a
// support bundle. Names of Flyte enums are stored as their proto names ("FAILED", "USER") so
// that the JSON reads like Flyte's own API output.
package evidence
