package checks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

const probeStorage = "storage-prefix"

// storageSubject is the prefix, and the role it is probed as with --as-task-role.
func storageSubject(s *evidence.PreflightSpec, t evidence.TaskSpec) string {
	if s.AsTaskRole && t.IAMRole != "" {
		return t.RawOutputPrefix + " as " + t.IAMRole
	}
	return t.RawOutputPrefix
}

func splitStorageSubject(subject string) (prefix, role string) {
	prefix, role, _ = strings.Cut(subject, " as ")
	return prefix, role
}

func storageProbes() []*Probe {
	return []*Probe{{
		Name: probeStorage, Layer: Storage,
		Subjects: func(s *evidence.PreflightSpec) []string {
			var out []string
			for _, t := range s.Tasks {
				if t.RawOutputPrefix != "" {
					out = append(out, storageSubject(s, t))
				}
			}
			return uniq(out)
		},
		// The storage collector's probes: HeadBucket and GetBucketLocation on the bucket,
		// ListObjectsV2 on the prefix, and with --write-probe PutObject + DeleteObject of a marker.
		Run: func(ctx context.Context, env *Env, subject string, _ *View) evidence.ProbeRecord {
			prefix, role := splitStorageSubject(subject)
			clients, err := env.Storage(ctx, role)
			if errors.Is(err, s3.ErrNoCredentials) {
				return evidence.ProbeRecord{Skipped: err.Error()}
			}
			if err != nil {
				return evidence.ProbeRecord{Skipped: "cannot build the S3 client: " + oneline.Clip(oneline.Fold(err.Error()), 300)}
			}
			c := &s3.Collector{S3: clients.S3, STS: clients.STS, Identity: clients.Identity, WriteProbe: env.WriteProbe, Now: env.Now}
			st, _ := c.Collect(ctx, []evidence.StoragePath{{URI: prefix, Purpose: evidence.PurposeRawOutputPrefix, Kind: evidence.PathPrefix}})
			return evidence.ProbeRecord{Storage: st}
		},
	}}
}

// storageUses groups the tasks by storage subject.
func storageUses(s *evidence.PreflightSpec) (subjects []string, tasks map[string][]evidence.TaskSpec) {
	tasks = map[string][]evidence.TaskSpec{}
	for _, t := range s.Tasks {
		if t.RawOutputPrefix == "" {
			continue
		}
		k := storageSubject(s, t)
		if tasks[k] == nil {
			subjects = append(subjects, k)
		}
		tasks[k] = append(tasks[k], t)
	}
	return subjects, tasks
}

// perStorage runs judge on each storage subject's record, or says there is none.
func perStorage(v *View, judge func(evidence.CheckResult, string, *evidence.Storage) evidence.CheckResult) []evidence.CheckResult {
	subjects, tasks := storageUses(v.Spec)
	if len(subjects) == 0 {
		return []evidence.CheckResult{{Status: evidence.CheckSkip, Subject: "raw output prefix",
			Summary: "skipped: no raw output prefix given (--raw-output-prefix, or the launch plan's raw_output_data_config); Admin's default applies"}}
	}
	var out []evidence.CheckResult
	for _, sub := range subjects {
		prefix, _ := splitStorageSubject(sub)
		r := evidence.CheckResult{Subject: sub, Task: taskNames(tasks[sub])}
		rec := v.Probe(probeStorage, sub)
		if s, ok := skipped(rec); ok {
			out = append(out, s.at(r))
			continue
		}
		st := rec.Storage
		if len(st.Unprobed) > 0 {
			r.Status, r.Summary = evidence.CheckSkip, "skipped: "+prefix+" "+st.Unprobed[0].Reason
			out = append(out, r)
			continue
		}
		out = append(out, judge(r, prefix, st))
	}
	return out
}

func findProbe(st *evidence.Storage, op string) *evidence.StorageProbe {
	for i := range st.Probes {
		if st.Probes[i].Operation == op {
			return &st.Probes[i]
		}
	}
	return nil
}

func who(st *evidence.Storage) string {
	id := st.Identity
	switch {
	case id.AssumedRole != "":
		return id.AssumedRole
	case id.ARN != "" && id.ARN != "unknown":
		return id.ARN
	case id.Source != "":
		return "the " + id.Source + " credentials"
	}
	return "the caller"
}

func probeText(p *evidence.StorageProbe) string {
	s := p.Operation + " " + p.Outcome
	if p.ErrorCode != "" {
		s += " (" + p.ErrorCode + ")"
	}
	if p.Message != "" && p.Outcome != evidence.ProbeOK {
		s += ": " + oneline.Clip(p.Message, 200)
	}
	return s
}

func storageChecks() []*Check {
	return []*Check{
		{
			ID: "FDP401", Name: "storage-readable", Title: "the raw output bucket exists and is readable", Layer: Storage,
			Needs: []string{probeStorage},
			Doc: `Probes the raw output prefix (--raw-output-prefix, or the launch plan's
raw_output_data_config) with the identity in use (AWS SDK default chain, --aws-profile, or
storage.connection): HeadBucket, then ListObjectsV2 on the prefix. A bucket that does not exist or
cannot be listed makes tasks fail reading or writing their data (SYSTEM:DownloadDataError,
UploadDataError). Only s3:// prefixes are probed.`,
			Verdict: func(v *View) []evidence.CheckResult {
				return perStorage(v, func(r evidence.CheckResult, prefix string, st *evidence.Storage) evidence.CheckResult {
					head, list := findProbe(st, "HeadBucket"), findProbe(st, "ListObjectsV2")
					switch {
					case head != nil && head.Outcome == evidence.ProbeNotFound, list != nil && list.ErrorCode == "NoSuchBucket":
						r.Status, r.Summary = evidence.CheckFail, "the bucket of "+prefix+" does not exist"
						r.Fix = "create the bucket, or fix the raw output prefix"
					case list != nil && list.Outcome == evidence.ProbeOK:
						r.Status, r.Summary = evidence.CheckPass, "readable as "+who(st)
					case list != nil && list.Outcome == evidence.ProbeDenied:
						r.Status, r.Summary = evidence.CheckFail, who(st)+" may not list "+prefix+": "+probeText(list)
						r.Fix = "grant s3:ListBucket and s3:GetObject* on the bucket to the tasks' role"
					case list != nil:
						r.Status, r.Summary = evidence.CheckFail, "cannot read "+prefix+": "+probeText(list)
						r.Fix = "check the S3 endpoint (--s3-endpoint, storage.connection) and region"
					case head != nil:
						r.Status, r.Summary = evidence.CheckFail, "cannot read the bucket: "+probeText(head)
						r.Fix = "check the S3 endpoint (--s3-endpoint, storage.connection) and region"
					default:
						r.Status, r.Summary = evidence.CheckSkip, "skipped: nothing was probed"
					}
					return r
				})
			},
		},
		{
			ID: "FDP402", Name: "storage-writable", Title: "the raw output prefix is writable", Layer: Storage,
			Needs: []string{probeStorage},
			Doc: `With --write-probe, writes an empty marker object under the raw output prefix and deletes
it again (PutObject, DeleteObject), as the task will write its outputs there. Without the flag
nothing is written and the check is skipped.`,
			Verdict: func(v *View) []evidence.CheckResult {
				return perStorage(v, func(r evidence.CheckResult, prefix string, st *evidence.Storage) evidence.CheckResult {
					if !v.Spec.WriteProbe {
						r.Status, r.Summary = evidence.CheckSkip, "skipped: pass --write-probe to write and delete a marker"
						return r
					}
					put, del := findProbe(st, "PutObject"), findProbe(st, "DeleteObject")
					switch {
					case put == nil:
						r.Status, r.Summary = evidence.CheckSkip, "skipped: no write was tried"
					case put.Outcome == evidence.ProbeSkipped:
						r.Status, r.Summary = evidence.CheckSkip, "skipped: "+put.Message
					case put.Outcome != evidence.ProbeOK:
						r.Status, r.Summary = evidence.CheckFail, who(st)+" may not write under "+prefix+": "+probeText(put)
						r.Fix = "grant s3:PutObject* on the prefix to the tasks' role"
					case del != nil && del.Outcome != evidence.ProbeOK:
						r.Status, r.Summary = evidence.CheckWarn, "writable, but the marker could not be deleted: "+probeText(del)
						r.Fix = "delete the marker " + s3.WriteMarkerPrefix + "* by hand; grant s3:DeleteObject* if tasks overwrite outputs"
					default:
						r.Status, r.Summary = evidence.CheckPass, "writable as "+who(st)+" (marker written and deleted)"
					}
					return r
				})
			},
		},
		{
			ID: "FDP403", Name: "storage-task-role", Title: "the task's IAM role can be assumed", Layer: Storage,
			Needs: []string{probeStorage},
			Doc: `With --as-task-role, assumes the task's IAM role (--iam-role, or the launch plan's
security_context.run_as.iam_role) through STS and runs the storage probes as that role, which is
who the task will be. Without the flag, or without a role, the check is skipped.`,
			Verdict: func(v *View) []evidence.CheckResult {
				if !v.Spec.AsTaskRole {
					return []evidence.CheckResult{{Status: evidence.CheckSkip, Subject: "task role", Summary: "skipped: pass --as-task-role to probe storage as the task's IAM role"}}
				}
				return perStorage(v, func(r evidence.CheckResult, _ string, st *evidence.Storage) evidence.CheckResult {
					_, role := splitStorageSubject(r.Subject)
					id := st.Identity
					switch {
					case role == "":
						r.Status, r.Summary = evidence.CheckSkip, "skipped: the task names no IAM role (--iam-role)"
					case id.AssumedRole == role:
						r.Status, r.Summary = evidence.CheckPass, "assumed; the storage probes ran as it"
					case id.AssumeError != "" && strings.Contains(id.AssumeError, "no STS"):
						r.Status, r.Summary = evidence.CheckSkip, "skipped: "+id.AssumeError
					default:
						r.Status, r.Summary = evidence.CheckFail, cmp.Or(id.AssumeError, "the role was not assumed")
						r.Fix = fmt.Sprintf("let %s assume %s (the role's trust policy), or check the role's name", cmp.Or(id.ARN, "the caller"), role)
					}
					return r
				})
			},
		},
	}
}
