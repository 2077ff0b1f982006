package fakeadmin

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
)

// entity is admin's short table code (common/entity.go); it appears in filter error texts.
type entity string

const (
	entExecution     entity = "e"
	entLaunchPlan    entity = "l"
	entNodeExecution entity = "ne"
	entTask          entity = "t"
	entTaskExecution entity = "te"
	entWorkflow      entity = "w"
	entNamedEntity   entity = "nen"
	entNamedEntityMD entity = "nem"
	entProject       entity = "p"
	entSignal        entity = "s"
	entAdminTag      entity = "at"
	entExecAdminTag  entity = "eat"
	entExecutionTag  entity = "et"
)

// filterPrefix maps a field prefix to the entity it joins (util/filters.go).
func filterPrefix(field string) (entity, string, bool) {
	for _, p := range []struct {
		prefix string
		ent    entity
	}{
		{"task.", entTask}, {"workflow.", entWorkflow}, {"launch_plan.", entLaunchPlan},
		{"execution.", entExecution}, {"node_execution.", entNodeExecution},
		{"task_execution.", entTaskExecution}, {"entities.", entNamedEntity},
		{"named_entity_metadata.", entNamedEntityMD}, {"project.", entProject},
		{"signal.", entSignal}, {"admin_tag.", entAdminTag},
		{"execution_admin_tag.", entExecAdminTag}, {"execution_tag.", entExecutionTag},
	} {
		if strings.HasPrefix(field, p.prefix) {
			return p.ent, field[len(p.prefix):], true
		}
	}
	return "", field, false
}

// allowedJoins lists, per listed entity, the entities a filter may reference.
func allowedJoins(primary entity) []entity {
	switch primary {
	case entExecution:
		return []entity{entExecution, entLaunchPlan, entWorkflow, entTask, entAdminTag, entExecutionTag}
	case entNodeExecution:
		return []entity{entNodeExecution, entExecution}
	case entTaskExecution:
		return []entity{entTaskExecution, entTask, entExecution, entNodeExecution}
	default:
		return []entity{primary}
	}
}

// columns are the gorm column names of admin's models (repositories/models).
func columns(ent entity) []string {
	base := []string{"id", "created_at", "updated_at", "deleted_at"}
	switch ent {
	case entExecution:
		return append(base, "execution_project", "execution_domain", "execution_name", "launch_plan_id",
			"workflow_id", "task_id", "phase", "closure", "spec", "started_at", "execution_created_at",
			"execution_updated_at", "duration", "abort_cause", "mode", "source_execution_id",
			"parent_node_execution_id", "cluster", "inputs_uri", "user_inputs_uri", "error_kind",
			"error_code", "user", "state", "launch_entity")
	case entNodeExecution:
		return append(base, "execution_project", "execution_domain", "execution_name", "node_id", "phase",
			"input_uri", "closure", "started_at", "node_execution_created_at", "node_execution_updated_at",
			"duration", "node_execution_metadata", "parent_id", "parent_task_execution_id", "error_kind",
			"error_code", "cache_status", "dynamic_workflow_remote_closure_reference", "internal_data")
	case entTaskExecution:
		return append(base, "project", "domain", "name", "version", "execution_project", "execution_domain",
			"execution_name", "node_id", "retry_attempt", "phase", "phase_version", "input_uri", "closure",
			"started_at", "task_execution_created_at", "task_execution_updated_at", "duration")
	case entTask:
		return append(base, "project", "domain", "name", "version", "closure", "digest", "type", "short_description")
	case entLaunchPlan:
		return append(base, "project", "domain", "name", "version", "spec", "workflow_id", "closure", "state",
			"digest", "schedule_type", "launch_condition_type")
	case entWorkflow:
		return append(base, "project", "domain", "name", "version", "typed_interface",
			"remote_closure_identifier", "digest", "short_description")
	case entProject:
		return append(base, "identifier", "name", "description", "labels", "state")
	case entAdminTag:
		return append(base, "name")
	case entExecutionTag:
		return append(base, "execution_project", "execution_domain", "execution_name", "key", "value")
	}
	return nil
}

func hasColumn(ent entity, col string) bool {
	for _, c := range columns(ent) {
		if c == col {
			return true
		}
	}
	return false
}

type filter struct {
	ent    entity
	fn     string
	field  string
	values []string
	like   *regexp.Regexp // contains and not_like
}

func isRepeatedFn(fn string) bool { return fn == "value_in" || fn == "value_not_in" }

func knownFn(fn string) bool {
	switch fn {
	case "contains", "not_like", "gt", "gte", "lt", "lte", "eq", "ne", "value_in", "value_not_in":
		return true
	}
	return false
}

// parseFilters follows util.ParseFilters: same order of checks, same error texts.
func parseFilters(s string, primary entity) ([]filter, error) {
	if s == "" {
		return nil, nil
	}
	// Admin's grammar: func(field,value) or func(field, value), unanchored and greedy.
	grammar := regexp.MustCompile(`(.+)\((.+),\s?(.+)\)`)
	var out []filter
	for _, expr := range strings.Split(s, "+") {
		m := grammar.FindStringSubmatch(expr)
		if len(m) != 4 {
			return nil, invalidArgument("filters")
		}
		ent, field, ok := filterPrefix(m[2])
		if !ok {
			ent = primary
		}
		allowed := false
		for _, j := range allowedJoins(primary) {
			allowed = allowed || j == ent
		}
		if !allowed {
			return nil, status.Errorf(codes.InvalidArgument, "'%s' entity is not allowed in filters", ent)
		}
		if !hasColumn(ent, field) {
			return nil, status.Errorf(codes.InvalidArgument, "'%s.%s' is invalid filter", ent, field)
		}
		values := strings.Split(m[3], ";")
		if field == "duration" {
			for i, v := range values {
				d, err := parseFilterDuration(v)
				if err != nil {
					return nil, err
				}
				values[i] = strconv.FormatInt(int64(d), 10)
			}
		}
		if !knownFn(m[1]) {
			return nil, status.Errorf(codes.InvalidArgument, "unrecognized filter function: %s", m[1])
		}
		f := filter{ent: ent, fn: m[1], field: field, values: values}
		switch f.fn {
		case "contains":
			f.like = likePattern("%" + values[0] + "%")
		case "not_like":
			f.like = likePattern(values[0])
		}
		out = append(out, f)
	}
	return out, nil
}

// parseFilterDuration: a bare number means seconds, anything else is a Go duration.
func parseFilterDuration(v string) (time.Duration, error) {
	s := v
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		s = strconv.FormatFloat(f, 'f', -1, 64) + "s"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, status.Errorf(codes.InvalidArgument, "Failed to parse duration [%s]", s)
	}
	return d, nil
}

// value is one column value as the DB would hold it.
type value struct {
	kind kind
	null bool
	s    string
	i    int64
	t    time.Time
}

type kind int

const (
	kString kind = iota
	kInt
	kTime
	kOpaque // bytea and ids this fake does not model
)

func strV(s string) value { return value{kind: kString, s: s} }
func intV(i int64) value  { return value{kind: kInt, i: i} }
func nullV(k kind) value  { return value{kind: k, null: true} }
func opaque() value       { return value{kind: kOpaque, null: true} }
func optStr(s string, ok bool) value {
	if !ok {
		return nullV(kString)
	}
	return strV(s)
}

func timeV(ts *timestamppb.Timestamp) value {
	if ts == nil {
		return nullV(kTime)
	}
	return value{kind: kTime, t: ts.AsTime()}
}

func durV(d *durationpb.Duration) value {
	return intV(int64(d.AsDuration())) // a NOT NULL bigint of nanoseconds
}

// accessor returns a column of the row being filtered or sorted.
type accessor func(ent entity, col string) value

func parseTimeValue(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// compare returns -1, 0 or 1 of the column against a filter literal, with Postgres' errors
// for literals of the wrong type.
func compare(v value, lit string) (int, error) {
	switch v.kind {
	case kInt:
		n, err := strconv.ParseInt(strings.TrimSpace(lit), 10, 64)
		if err != nil {
			return 0, dbError("invalid input syntax for type bigint: %q", lit)
		}
		switch {
		case v.i < n:
			return -1, nil
		case v.i > n:
			return 1, nil
		}
		return 0, nil
	case kTime:
		t, ok := parseTimeValue(lit)
		if !ok {
			return 0, dbError("invalid input syntax for type timestamp with time zone: %q", lit)
		}
		return v.t.Compare(t), nil
	}
	return strings.Compare(v.s, lit), nil
}

// likePattern compiles a SQL LIKE pattern (% and _ wildcards).
func likePattern(pattern string) *regexp.Regexp {
	var re strings.Builder
	re.WriteString("^(?s)")
	for _, r := range pattern {
		switch r {
		case '%':
			re.WriteString(".*")
		case '_':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String())
}

// match evaluates one filter with SQL semantics: a NULL column matches nothing, not even ne.
func (f filter) match(get accessor) (bool, error) {
	v := get(f.ent, f.field)
	if v.kind == kOpaque {
		return false, unsimulated("filtering on column %s.%s is not simulated", f.ent, f.field)
	}
	if !isRepeatedFn(f.fn) && len(f.values) > 1 {
		// gorm renders "col = ('a','b')"; Postgres rejects it.
		return false, dbError("operator does not exist: %s = record", pgType(v.kind))
	}
	if (f.fn == "contains" || f.fn == "not_like") && v.kind != kString {
		return false, dbError("operator does not exist: %s ~~ unknown", pgType(v.kind))
	}
	if v.null {
		// Literals are still type-checked by Postgres.
		for _, lit := range f.values {
			if f.fn != "contains" && f.fn != "not_like" {
				if _, err := compare(value{kind: v.kind}, lit); err != nil {
					return false, err
				}
			}
		}
		return false, nil
	}
	switch f.fn {
	case "contains":
		return f.like.MatchString(v.s), nil
	case "not_like":
		return !f.like.MatchString(v.s), nil
	case "value_in", "value_not_in":
		in := false
		for _, lit := range f.values {
			c, err := compare(v, lit)
			if err != nil {
				return false, err
			}
			in = in || c == 0
		}
		return in == (f.fn == "value_in"), nil
	}
	c, err := compare(v, f.values[0])
	if err != nil {
		return false, err
	}
	switch f.fn {
	case "eq":
		return c == 0, nil
	case "ne":
		return c != 0, nil
	case "gt":
		return c > 0, nil
	case "gte":
		return c >= 0, nil
	case "lt":
		return c < 0, nil
	default: // lte
		return c <= 0, nil
	}
}

func pgType(k kind) string {
	switch k {
	case kInt:
		return "bigint"
	case kTime:
		return "timestamp with time zone"
	}
	return "text"
}

func matchAll(fs []filter, get accessor) (bool, error) {
	for _, f := range fs {
		ok, err := f.match(get)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// sortSpec is a validated admin.Sort; nil means no ORDER BY.
type sortSpec struct {
	key string
	asc bool
}

func parseSort(s *admin.Sort, primary entity) (*sortSpec, error) {
	if s == nil {
		return nil, nil
	}
	if !hasColumn(primary, s.GetKey()) {
		return nil, status.Errorf(codes.InvalidArgument, "invalid sort key '%s'", s.GetKey())
	}
	switch s.GetDirection() {
	case admin.Sort_ASCENDING:
		return &sortSpec{key: s.GetKey(), asc: true}, nil
	case admin.Sort_DESCENDING:
		return &sortSpec{key: s.GetKey()}, nil
	}
	return nil, status.Errorf(codes.InvalidArgument, "invalid sort order specified: %v", s)
}

// parseToken follows validation.ValidateToken; every failure gets the caller's message.
func parseToken(token, method string) (int, error) {
	if token == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 {
		return 0, invalidToken(token, method)
	}
	return n, nil
}

// list filters, orders and pages rows (given in id order) like the real repos do.
func list[T any](rows []T, get func(T) accessor, fs []filter, srt *sortSpec, primary entity,
	offset, limit int) ([]T, string, error) {
	matched := make([]T, 0, len(rows))
	for _, r := range rows {
		ok, err := matchAll(fs, get(r))
		if err != nil {
			return nil, "", err
		}
		if ok {
			matched = append(matched, r)
		}
	}
	if srt != nil {
		keys := make([]value, len(matched))
		for i, r := range matched {
			keys[i] = get(r)(primary, srt.key)
		}
		idx := make([]int, len(matched))
		for i := range idx {
			idx[i] = i
		}
		// Stable over id order, so ties are broken by id.
		sort.SliceStable(idx, func(a, b int) bool { return less(keys[idx[a]], keys[idx[b]], srt.asc) })
		sorted := make([]T, len(matched))
		for i, j := range idx {
			sorted[i] = matched[j]
		}
		matched = sorted
	} else if limit > 0 && offset == limit && offset < len(matched) {
		// Unstable heap order without ORDER BY: see the package doc.
		matched = append([]T(nil), matched...)
		matched[offset-1], matched[offset] = matched[offset], matched[offset-1]
	}
	if offset > len(matched) {
		offset = len(matched)
	}
	end := len(matched)
	if limit > 0 && offset+limit < end {
		end = offset + limit
	}
	page := matched[offset:end]
	token := ""
	if len(page) == limit {
		token = strconv.Itoa(offset + len(page))
	}
	return page, token, nil
}

// less orders like Postgres: NULLS LAST ascending, NULLS FIRST descending.
func less(a, b value, asc bool) bool {
	if a.null || b.null {
		if a.null == b.null {
			return false
		}
		return b.null == asc
	}
	var c int
	switch a.kind {
	case kInt:
		switch {
		case a.i < b.i:
			c = -1
		case a.i > b.i:
			c = 1
		}
	case kTime:
		c = a.t.Compare(b.t)
	default:
		c = strings.Compare(a.s, b.s)
	}
	if asc {
		return c < 0
	}
	return c > 0
}
