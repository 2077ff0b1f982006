package rules

import (
	"github.com/flytedoctor/flytedoctor/rules/collection"
	"github.com/flytedoctor/flytedoctor/rules/config"
	"github.com/flytedoctor/flytedoctor/rules/imagepull"
	"github.com/flytedoctor/flytedoctor/rules/interruption"
	"github.com/flytedoctor/flytedoctor/rules/memory"
	"github.com/flytedoctor/flytedoctor/rules/pending"
	"github.com/flytedoctor/flytedoctor/rules/storage"
	"github.com/flytedoctor/flytedoctor/rules/system"
	"github.com/flytedoctor/flytedoctor/rules/timeout"
	"github.com/flytedoctor/flytedoctor/rules/usercode"
)

// Table returns every rule, in precedence order: the engine breaks ties between equally severe
// hits on one place by this order, so within a category specific rules come before generic
// ones, and the two fallbacks come last. IDs are grouped by category (FD1 image pull, FD2
// pending, FD3 storage, FD4 config, FD5 memory and user code, FD6 timeouts, FD7 interruptions,
// FD8 system and aborts, FD9 collection) and never reused; where the order is not ID order the
// line says why. A new rule is one line here.
func Table() []*Rule {
	return []*Rule{
		imagepull.InvalidImageName(),    // FD1002
		imagepull.PlatformMismatch(),    // FD1003
		imagepull.RateLimited(),         // FD1004
		imagepull.Unauthorized(),        // FD1005: registries answer "not found" for images they will not show, so auth goes first
		imagepull.NotFound(),            // FD1001
		imagepull.RegistryUnreachable(), // FD1006
		imagepull.Failed(),              // FD1007: any other pull failure

		pending.ResourceQuotaExceeded(),        // FD2001
		pending.LimitRangeRejected(),           // FD2002
		pending.PVCUnbound(),                   // FD2003
		pending.UntoleratedTaint(),             // FD2004
		pending.NodeSelectorMismatch(),         // FD2005
		pending.AffinityMismatch(),             // FD2006
		pending.InsufficientGPU(),              // FD2007
		pending.InsufficientMemory(),           // FD2008
		pending.InsufficientCPU(),              // FD2009
		pending.InsufficientEphemeralStorage(), // FD2010
		pending.PodPendingTooLong(),            // FD2011: pending without a recognised reason

		storage.NoCredentials(),      // FD3001
		storage.ClockSkew(),          // FD3002
		storage.ExpiredCredentials(), // FD3003
		storage.InvalidCredentials(), // FD3004
		storage.WrongRegion(),        // FD3005
		storage.NoSuchBucket(),       // FD3006
		storage.NoSuchKey(),          // FD3007
		storage.AccessDenied(),       // FD3008
		storage.BucketCheckFailed(),  // FD3009

		config.MissingSecret(),            // FD4001
		config.MissingConfigMap(),         // FD4002
		config.MissingServiceAccount(),    // FD4003
		config.MissingPullSecret(),        // FD4004
		config.FlyteSecretNotFound(),      // FD4005
		config.PrimaryContainerNotFound(), // FD4006

		memory.OOMKilled(),              // FD5001
		memory.MemoryPressureEviction(), // FD5002
		memory.GPUOutOfMemory(),         // FD5003
		memory.SharedMemoryExhausted(),  // FD5004

		usercode.UserException(), // FD5101
		usercode.NonzeroExit(),   // FD5102

		timeout.TaskExecutionTimeout(), // FD6001
		timeout.NodeActiveDeadline(),   // FD6002
		timeout.SDKTimeout(),           // FD6003

		interruption.NodeShutdown(),              // FD7001
		interruption.PodDeletedExternally(),      // FD7002
		interruption.PodTerminatedInBackground(), // FD7003
		interruption.PodEvicted(),                // FD7004
		interruption.Interrupted(),               // FD7005
		interruption.KilledBySignal(),            // FD7006
		interruption.PodFailedWithoutReason(),    // FD7007: a fallback that explains the bare text FD5901 and FD8901 would quote

		system.OutputsNotWritten(),      // FD8001
		system.WorkflowStartFailure(),   // FD8002
		system.SystemRetriesExhausted(), // FD8003
		system.ContainerNameReserved(),  // FD8004
		system.PropellerLostTrack(),     // FD8005: Admin and the cluster disagree (whole snapshot)
		system.KubeletCacheTimeout(),    // FD8006
		system.PluginFailed(),           // FD8007
		system.InputConversionFailed(),  // FD8008
		system.ChildLaunchFailed(),      // FD8009
		system.EventRejected(),          // FD8010
		system.ExecutionAborted(),       // FD8101
		system.ChildExecutionAborted(),  // FD8102

		collection.Forbidden(),          // FD9001
		collection.Unreachable(),        // FD9002
		collection.Incomplete(),         // FD9003
		collection.CollectorSkipped(),   // FD9004
		collection.TaskRoleNotAssumed(), // FD9005

		// Fallbacks: only where no rule above classified the place.
		pending.Stuck(),      // FD2901
		usercode.UserError(), // FD5901
		system.SystemError(), // FD8901
	}
}

// Lookup returns the rule with the given ID.
func Lookup(table []*Rule, id string) *Rule {
	for _, r := range table {
		if r.ID == id {
			return r
		}
	}
	return nil
}
