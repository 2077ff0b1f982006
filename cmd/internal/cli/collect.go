package cli

import (
	"context"
	"errors"
	"slices"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/plan"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
)

// collect runs the collection plan with what the flags and the config say; the plan
// (collectors/plan) decides the order and what each collector gets from the others.
func collect(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, sess *AdminSession, id evidence.ExecutionID, kc *kubeSetup) (*evidence.Snapshot, error) {
	in := plan.Inputs{
		Target: id, Now: f.Now, Version: f.Version,
		Admin: sess.API, Endpoint: sess.Endpoint, PageSize: o.PageSize, MaxConcurrency: o.MaxConcurrency,
	}
	if kc != nil {
		in.Kube = &plan.Kube{Client: kc.client, Info: kc.info, Err: kc.err,
			Namespace: o.Namespace, NamespaceTemplate: o.NamespaceTemplate, Logs: o.Logs, LogLines: o.LogLines}
	}
	if !slices.Contains(o.Skip, s3.Name) {
		in.Storage = &plan.Storage{
			Clients: f.StorageClients,
			Options: s3.ClientOptions{
				Profile: o.AWSProfile, Region: o.AWSRegion, Endpoint: o.S3Endpoint,
				Connection:     s3.ConnectionFromStorage(cfg.Storage),
				AssumeTaskRole: o.AsTaskRole, Getenv: f.Getenv,
				Stdin: f.IO.In, StdinTerminal: f.IO.InTTY, Stderr: f.IO.ErrOut,
			},
			WriteProbe: o.WriteProbe,
		}
	}
	return plan.Collect(ctx, in)
}

// kubeSetup is the Kubernetes client built before Admin is asked anything, or why there is none.
type kubeSetup struct {
	client kubernetes.Interface
	info   kube.ClusterInfo
	err    error
}

// prepareKube builds the client (no request is sent) so that a wrong --kubeconfig or
// --context is a usage error at once; nil with --skip kube.
func prepareKube(f *Factory, o *diagnoseOptions) (*kubeSetup, error) {
	if slices.Contains(o.Skip, kube.Name) {
		return nil, nil
	}
	client, info, err := f.KubeClient(kube.ClientOptions{
		Kubeconfig: o.Kubeconfig, Context: o.KubeContext, UserAgent: "flytedoctor/" + f.Version,
		QPS: kube.DefaultQPS, Burst: kube.DefaultBurst, Timeout: 30 * time.Second, Getenv: f.Getenv,
		Stdin: f.IO.In, StdinTerminal: f.IO.InTTY, Stderr: f.IO.ErrOut,
	})
	var ie *kube.InputError
	if errors.As(err, &ie) {
		return nil, &usageError{err}
	}
	return &kubeSetup{client: client, info: info, err: err}, nil
}
