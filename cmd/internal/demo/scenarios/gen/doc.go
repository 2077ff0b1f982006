// Package gen builds the demo scenario fixtures (../*.json) that fakeadmin serves.
//
// The fixtures are generated rather than hand-written so that pod names, unique node ids,
// storage paths and error texts follow flytepropeller's rules consistently, and so that the
// 1,000-child fan-out stays reviewable. After editing, run `go generate` here; TestGoldens
// fails while the committed files are stale.
package gen

//go:generate env UPDATE_SCENARIOS=1 go test -run TestGoldens .
