package interruption

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

const causeDeletedExternally = "deleted-externally"

const causeEvicted = "evicted"

const causeEphemeralStorage = "ephemeral-storage-exceeded"

const causeSigkilled = "sigkilled"

const causeSigterm = "sigterm"

const causeNoReason = "no-reason"

const causeInterrupted = "interrupted"

// interruptible: the pod carries Flyte's interruptible=true label.
func interruptible(s *rule.Site) bool {
	for _, name := range s.PodNames() {
		if s.Pods[name].Labels["interruptible"] == "true" {
			return true
		}
	}
	return false
}

// genericFailure is the error of a failed place whose code says nothing of the cause (Flyte's
// UnknownError, the kubelet's Error, none): what the bare-text rules explain. Interrupted is
// FD7005's; flytekit's and Flyte's own codes say more; a stuck place has not failed.
func genericFailure(s *rule.Site) (code, msg string, ok bool) {
	if s.Stuck {
		return "", "", false
	}
	code, msg, _ = s.Error()
	switch code {
	case "UnknownError", "Error", "ContainerFailed", "":
		return code, msg, true
	}
	return "", "", false
}
