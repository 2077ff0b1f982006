// Package subproc starts the helper commands flytedoctor runs for credentials (kubeconfig exec
// plugins, AWS credential_process, admin.command and admin.proxyCommand) so that none outlives
// the run. A helper gets its own process group, killed as a whole when the run's context ends,
// and Wait returns shortly after even if a stray descendant keeps the helper's output open. On
// Linux, Adopt and EndAll add a safety net for descendants that left the group: flytedoctor
// becomes their reaper and kills whatever is left when it exits.
package subproc
