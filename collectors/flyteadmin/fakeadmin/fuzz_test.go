package fakeadmin

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FuzzFilters feeds Admin's filter grammar to the fake: a refusal is InvalidArgument as Admin
// answers, an accepted filter names a known function and a column of an allowed entity, and
// evaluating it against a row fails only with a status error.
func FuzzFilters(f *testing.F) {
	for _, s := range []string{
		"eq(phase,FAILED)",
		"eq(execution.project,flytesnacks)+eq(execution.domain,development)+eq(execution.name,a4t8tqkzr9xw2bnl5mfd)",
		"value_in(phase,FAILED;TIMED_OUT;ABORTED)",
		"eq(parent_id,n1-0-dn0)+ne(node_id,start-node)",
		"gte(duration,1.5)+lt(duration,2m)",
		"contains(node_id,n1_)",
		"not_like(execution.name,a%)",
		"gt(started_at,2026-08-14T09:12:51Z)",
		"eq(task.name,workflows.train.train_model)",
		"eq(phase, SUCCEEDED)",
		"eq(phase,FAILED",
	} {
		f.Add(s, uint8(0))
	}
	entities := []entity{entNodeExecution, entExecution, entTaskExecution, entProject}
	f.Fuzz(func(t *testing.T, s string, which uint8) {
		primary := entities[int(which)%len(entities)]
		fs, err := parseFilters(s, primary)
		if err != nil {
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("parseFilters(%q): %v, want InvalidArgument", s, err)
			}
			return
		}
		for _, fl := range fs {
			if !knownFn(fl.fn) || !hasColumn(fl.ent, fl.field) {
				t.Fatalf("parseFilters(%q) accepted %+v", s, fl)
			}
			allowed := false
			for _, j := range allowedJoins(primary) {
				allowed = allowed || j == fl.ent
			}
			if !allowed {
				t.Fatalf("parseFilters(%q) joins %s from %s", s, fl.ent, primary)
			}
		}
		row := func(_ entity, col string) value {
			switch {
			case col == "duration" || col == "retry_attempt" || col == "id":
				return intV(90 * int64(time.Second))
			case strings.HasSuffix(col, "_at"):
				return value{kind: kTime, t: time.Date(2026, 8, 14, 9, 12, 51, 0, time.UTC)}
			case col == "closure" || col == "spec":
				return opaque()
			case col == "parent_id":
				return nullV(kString)
			}
			return strV("n1-0-dn0")
		}
		if _, err := matchAll(fs, row); err != nil {
			if _, ok := status.FromError(err); !ok {
				t.Fatalf("matching %q: %v is not a status error", s, err)
			}
		}
	})
}
