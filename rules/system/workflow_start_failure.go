package system

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func WorkflowStartFailure() *rule.Rule {
	return &rule.Rule{
		ID: "FD8002", Name: "workflow-start-failure", Title: "Propeller could not start the workflow",
		Category: rule.CatSystem, Causes: []string{causeOffloadedInputs, causeMetadataPrefix, causeBadSpec}, Severity: rule.Error,
		Requires: []rule.Evidence{rule.Admin}, Fallback: true,
		Supersedes: []string{"FD8901"}, // says why the workflow could not start
		Doc: `Propeller failed the workflow before its first node ran, with a SYSTEM error:
OffloadedInputsReadFailure (propeller could not read the inputs flyteadmin offloaded to
<metadata container>/metadata/<project>/<domain>/<execution>/inputs: propeller's storage identity
lacks s3:GetObject there, or admin and propeller are configured with different buckets),
MetadataPrefixCreationFailure (propeller could not build the execution's metadata path from its
storage container and propeller.metadata-prefix), or BadSpecificationError (the compiled workflow is
invalid: "StartNode not found.", inline and offloaded inputs at once; usually a flytekit/flyteadmin
version mismatch). A fallback: storage-permission rules explain an access-denied read first.`,
		Fixes: []rule.Fix{{Action: "read flytepropeller's log for the execution and compare propeller's and flyteadmin's storage configuration",
			Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep EXECUTION"}}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			code, msg, _ := s.Error()
			var cause, what string
			switch code {
			case "OffloadedInputsReadFailure":
				cause, what = causeOffloadedInputs, "propeller could not read the execution's offloaded inputs"
			case "MetadataPrefixCreationFailure":
				cause, what = causeMetadataPrefix, "propeller could not build the execution's metadata path"
			case "BadSpecificationError":
				cause, what = causeBadSpec, "the compiled workflow is invalid"
			default:
				return
			}
			h := rule.Hit{Cause: cause, Summary: "the workflow failed to start: " + what,
				Detail: fmt.Sprintf("%s (kind SYSTEM): %s", code, read.FirstLine(msg)), Evidence: []string{code + ": " + msg}}
			grep := "kubectl logs -n flyte deploy/flytepropeller | grep " + s.Execution.ID.Name
			switch cause {
			case causeOffloadedInputs:
				h.Fixes = []rule.Fix{{Action: "give flytepropeller's storage identity s3:GetObject on flyteadmin's metadata prefix, and check both use the same metadata bucket"}}
				if uri := cmp.Or(s3URI(msg), s.Execution.InputsURI); strings.HasPrefix(uri, "s3://") {
					bucket, key, _ := strings.Cut(strings.TrimPrefix(uri, "s3://"), "/")
					h.Fixes = append(h.Fixes, rule.Fix{Action: "check the object and the permission", Commands: []string{
						fmt.Sprintf("aws s3api head-object --bucket %s --key %s", bucket, key),
						fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn PROPELLER_ROLE_ARN --action-names s3:GetObject --resource-arns arn:aws:s3:::%s/%s", bucket, key)}})
				}
			case causeMetadataPrefix:
				h.Fixes = []rule.Fix{{Action: "check propeller's storage.container and propeller.metadata-prefix configuration", Commands: []string{grep}}}
			default:
				h.Fixes = []rule.Fix{{Action: "re-register the workflow with a flytekit version that matches flyteadmin, and check propeller's log", Commands: []string{grep}}}
			}
			pass.Report(h)
		},
	}
}
