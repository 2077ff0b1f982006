package imagepull

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// RegistryUnreachable is FD1006: node could not reach the image registry.
func RegistryUnreachable() *rule.Rule {
	return &rule.Rule{
		ID: "FD1006", Name: "registry-unreachable", Title: "Node could not reach the image registry",
		Category: rule.CatImagePull, Causes: []string{read.PullUnreachable}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `The node could not talk to the registry at all: the DNS name did not resolve ("no such host"),
the connection timed out or was refused ("dial tcp ...: i/o timeout", "connection refused"), or TLS
failed ("x509: certificate signed by unknown authority"). The image may well exist; the node has no
route, DNS or trust to the registry (private subnets without NAT or VPC endpoints, a firewall or
proxy, a registry on "localhost" that only exists on the machine that built the image, a self-signed
registry certificate that containerd does not trust).

Flyte reports it as INITIALIZING during the image-pull grace period (3m by default), then as
ContainersNotReady|ImagePullBackOff, kind USER, retryable; a short outage can heal on retry, a
missing route cannot.`,
		Fixes: []rule.Fix{{Action: "check DNS, routing and TLS from the node to the registry (kubectl debug node/<node> -it --image=busybox), and fix the network path or the registry's CA on the nodes"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			hits := read.PullFind(s, read.PullUnreachable)
			if len(hits) == 0 {
				return
			}
			img := read.PullImage(s, hits...)
			reg := read.PullRegistry(img)
			if m := registryHost.FindStringSubmatch(hits[0].Text); m != nil {
				reg = cmp.Or(m[1], m[2], m[3], reg)
			}
			what, fix := "could not connect to", "check the route, security groups, NAT or VPC endpoints and proxy settings between the nodes and the registry"
			switch t := strings.ToLower(hits[0].Text); {
			case strings.Contains(t, "no such host") || strings.Contains(t, "server misbehaving"):
				what, fix = "could not resolve", "check the registry's DNS name and the nodes' DNS resolution"
			case strings.Contains(t, "x509") || strings.Contains(t, "tls:"):
				what, fix = "does not trust the TLS certificate of", "give containerd the registry's CA (/etc/containerd/certs.d/"+reg+"/hosts.toml) or use a certificate from a public CA"
			case strings.Contains(t, "connection refused"):
				what = "was refused a connection by"
			}
			p := read.PullPod(s, hits...)
			node := "<node>"
			if p != nil && p.NodeName != "" {
				node = p.NodeName
			}
			h := rule.Hit{
				Summary:  fmt.Sprintf("the node %s registry %s while pulling %s%s", what, reg, read.OrUnknown(img), read.PullAttempts(s)),
				Detail:   "the pull failed with: " + read.FirstLine(hits[0].Text) + resolves(img) + read.PullStuckNote(s),
				Evidence: read.PullEvidence(hits),
				Subject:  read.PullSubject(s, hits...),
				Fixes: []rule.Fix{{Action: fix},
					{Action: "test the registry from the node", Commands: []string{
						fmt.Sprintf("kubectl debug node/%s -it --image=busybox -- sh -c 'nslookup %s && wget -S -O- https://%s/v2/'", node, hostOnly(reg), reg)}}},
			}
			switch {
			case hostOnly(reg) == "localhost" || strings.HasPrefix(reg, "127."):
				h.Fixes = []rule.Fix{{Action: "push the image to a registry the cluster can reach and register the task with that image: " + reg + " is the node's own loopback address, not the machine that built the image"},
					{Action: "with ImageSpec, set registry= to that registry (ImageSpec(registry=\"ghcr.io/<org>\", ...)) so pyflyte builds, pushes and registers the reachable name"}}
			case strings.Contains(strings.ToLower(hits[0].Text), "x509") || strings.Contains(hits[0].Text, "tls:"):
				h.Fixes[1] = rule.Fix{Action: "inspect the certificate chain the registry presents", Commands: []string{
					fmt.Sprintf("openssl s_client -connect %s -showcerts </dev/null", hostPort(reg))}}
			}
			pass.Report(h)
		},
	}
}
