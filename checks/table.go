package checks

// Table is every check, in the order reports print them: Admin, images, Kubernetes, storage.
func Table() []*Check {
	var t []*Check
	t = append(t, adminChecks()...)
	t = append(t, imageChecks()...)
	t = append(t, kubeChecks()...)
	t = append(t, storageChecks()...)
	return t
}

// Probes is every probe the checks may need.
func Probes() []*Probe {
	var p []*Probe
	p = append(p, adminProbes()...)
	p = append(p, imageProbes()...)
	p = append(p, kubeProbes()...)
	p = append(p, storageProbes()...)
	return p
}
